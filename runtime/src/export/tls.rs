//! The rustls client configuration of an `https://` OTLP endpoint.
//!
//! Trust: the system's store through `rustls-native-certs` (the distribution's bundle,
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`, and so the CAs an organisation installs on its hosts,
//! which a compiled-in bundle such as `webpki-roots` would ignore), or, when
//! `OTEL_EXPORTER_OTLP_CERTIFICATE` is set, exactly the CAs of that PEM file (a private
//! collector CA; the system store is then not read). `_CLIENT_CERTIFICATE` and `_CLIENT_KEY`
//! add a client identity for mTLS.
//!
//! The crypto provider is rustls' `ring`, passed to the builder rather than installed as the
//! process default, so an application that uses rustls with another provider is unaffected.

use crate::config::OtlpTransport;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use std::sync::Arc;

/// Build the configuration; the error names the endpoint, the file and the reason.
pub fn client_config(endpoint: &str, t: &OtlpTransport) -> Result<Arc<ClientConfig>, String> {
    if t.client_certificate.is_some() != t.client_key.is_some() {
        return Err(format!(
            "{endpoint}: mTLS needs both OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and \
             OTEL_EXPORTER_OTLP_CLIENT_KEY; only one is set"
        ));
    }
    let mut roots = RootCertStore::empty();
    match &t.certificate {
        Some(path) => {
            let certs = read_certs(path)
                .map_err(|e| format!("{endpoint}: cannot use OTEL_EXPORTER_OTLP_CERTIFICATE {path}: {e}"))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "{endpoint}: OTEL_EXPORTER_OTLP_CERTIFICATE {path} holds no usable CA certificate"
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
                return Err(format!(
                    "{endpoint}: no CA certificates in the system trust store{why}; install the \
                     system's CA bundle or set OTEL_EXPORTER_OTLP_CERTIFICATE"
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("{endpoint}: TLS setup failed: {e}"))?
        .with_root_certificates(roots);
    let config = match (&t.client_certificate, &t.client_key) {
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert)
                .map_err(|e| format!("{endpoint}: cannot use OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE {cert}: {e}"))?;
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("{endpoint}: cannot use OTEL_EXPORTER_OTLP_CLIENT_KEY {key}: {e}"))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| format!("{endpoint}: the client certificate {cert} and key {key} do not fit: {e}"))?
        }
        // Neither (one without the other was refused above).
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificate in the file".to_owned());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_problems_name_the_endpoint_the_file_and_the_reason() {
        let t = OtlpTransport { certificate: Some("/nonexistent/ca.pem".into()), ..OtlpTransport::default() };
        let e = client_config("https://c:4318/v1/traces", &t).unwrap_err();
        assert!(e.contains("https://c:4318/v1/traces") && e.contains("/nonexistent/ca.pem"), "{e}");

        let dir = std::env::temp_dir().join(format!("otel-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("ca.pem");
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let t = OtlpTransport { certificate: Some(not_pem.display().to_string()), ..OtlpTransport::default() };
        let e = client_config("https://c/", &t).unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");

        let t = OtlpTransport { client_key: Some("/k.pem".into()), ..OtlpTransport::default() };
        let e = client_config("https://c/", &t).unwrap_err();
        assert!(e.contains("needs both"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
