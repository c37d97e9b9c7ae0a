package dev.holdfast.config;

import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;

/**
 * Offers each large group of the one configuration root, {@link HoldfastConfig}, as a bean of its own.
 * Only the root is a {@code @ConfigMapping}; a feature that reads one group injects that group rather
 * than the root, so it depends on no more configuration than it uses.
 */
@Dependent
public class ConfigGroups {

    /** {@code holdfast.notifications.*}. */
    @Produces
    @Dependent
    NotificationConfig notifications(HoldfastConfig config) {
        return config.notifications();
    }

    /** {@code holdfast.retention.*}. */
    @Produces
    @Dependent
    RetentionConfig retention(HoldfastConfig config) {
        return config.retention();
    }

    /** {@code holdfast.schedules.*}. */
    @Produces
    @Dependent
    ScheduleConfig schedules(HoldfastConfig config) {
        return config.schedules();
    }

    /** {@code holdfast.encryption.*}. */
    @Produces
    @Dependent
    EncryptionConfig encryption(HoldfastConfig config) {
        return config.encryption();
    }

    /** {@code holdfast.monitoring.*}. */
    @Produces
    @Dependent
    MonitoringConfig monitoring(HoldfastConfig config) {
        return config.monitoring();
    }
}
