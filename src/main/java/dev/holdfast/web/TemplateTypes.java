package dev.holdfast.web;

import dev.holdfast.api.PageRequest;
import dev.holdfast.backup.BackupCopyView;
import dev.holdfast.backup.BackupOptions;
import dev.holdfast.backup.BackupSummary;
import dev.holdfast.backup.BackupView;
import dev.holdfast.backup.VerifyFailure;
import dev.holdfast.job.JobView;
import dev.holdfast.job.Progress;
import dev.holdfast.stats.Statistics;
import io.quarkus.qute.TemplateData;

/** The API's view types the templates read: Qute resolves their properties without reflection. */
@TemplateData(target = BackupView.class)
@TemplateData(target = BackupSummary.class)
@TemplateData(target = BackupSummary.DatabaseResult.class)
@TemplateData(target = BackupSummary.TableResult.class)
@TemplateData(target = BackupSummary.MediaResult.class)
@TemplateData(target = BackupCopyView.class)
@TemplateData(target = BackupOptions.class)
@TemplateData(target = VerifyFailure.class)
@TemplateData(target = JobView.class)
@TemplateData(target = dev.holdfast.job.JobStall.class)
@TemplateData(target = Progress.class)
@TemplateData(target = PageRequest.Page.class)
@TemplateData(target = Statistics.class)
@TemplateData(target = Statistics.SourceStats.class)
@TemplateData(target = Statistics.ScheduleStats.class)
@TemplateData(target = Statistics.Outcome.class)
@TemplateData(target = Statistics.StorageStats.class)
@TemplateData(target = Ui.class)
@TemplateData(target = dev.holdfast.api.Problem.class)
@TemplateData(target = dev.holdfast.domain.Violation.class)
@TemplateData(target = dev.holdfast.restore.RestoreView.class)
@TemplateData(target = dev.holdfast.restore.RestoreRequest.class)
@TemplateData(target = dev.holdfast.restore.RestoreResult.class)
@TemplateData(target = dev.holdfast.restore.RestoreResult.DatabaseResult.class)
@TemplateData(target = dev.holdfast.restore.RestoreResult.MediaResult.class)
@TemplateData(target = dev.holdfast.restore.RestoreReport.TableResult.class)
@TemplateData(target = dev.holdfast.restore.RestoreReport.Check.class)
@TemplateData(target = dev.holdfast.drill.DrillView.class)
@TemplateData(target = dev.holdfast.drill.DrillStatistics.class)
@TemplateData(target = dev.holdfast.drill.ObjectiveStatus.class)
@TemplateData(target = dev.holdfast.drill.DrillValidation.TableCheck.class)
@TemplateData(target = dev.holdfast.drill.DrillValidation.Check.class)
@TemplateData(target = dev.holdfast.audit.AuditView.class)
@TemplateData(target = dev.holdfast.schedule.ScheduleView.class)
@TemplateData(target = dev.holdfast.schedule.ScheduleView.LastBackup.class)
@TemplateData(target = dev.holdfast.backup.BackupRequest.class)
@TemplateData(target = dev.holdfast.retention.RetentionPolicy.class)
@TemplateData(target = dev.holdfast.retention.RetentionPreview.class)
@TemplateData(target = dev.holdfast.retention.RetentionPreview.Item.class)
@TemplateData(target = dev.holdfast.source.SourceResource.SourcesView.class)
@TemplateData(target = dev.holdfast.source.SourceResource.DatabaseView.class)
@TemplateData(target = dev.holdfast.source.SourceResource.MediaView.class)
final class TemplateTypes {
    private TemplateTypes() {}
}
