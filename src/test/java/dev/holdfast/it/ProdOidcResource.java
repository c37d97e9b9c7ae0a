package dev.holdfast.it;

import io.quarkus.test.oidc.server.OidcWiremockTestResource;
import java.util.HashMap;
import java.util.Map;

/** The local OIDC server, configured the way production is: through quarkus.oidc.auth-server-url. */
public class ProdOidcResource extends OidcWiremockTestResource {
    @Override
    public Map<String, String> start() {
        Map<String, String> props = new HashMap<>(super.start());
        props.put("quarkus.oidc.auth-server-url", props.get("keycloak.url") + "/realms/quarkus/");
        props.put("holdfast.storage.local.root", "target/it-data");
        return props;
    }
}
