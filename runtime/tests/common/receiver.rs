//! A real OTLP/HTTP receiver on loopback: HTTP/1.1 with keep-alive, optionally TLS (and
//! mTLS) with certificates generated at test time by rcgen, gzip request bodies decoded
//! with flate2, and scripted answers (a 503 with `Retry-After`, a 400, a partial success)
//! before the default `200 OK`.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, gunzipped when it came with `Content-Encoding: gzip`.
    pub body: Vec<u8>,
    /// The status the receiver answered with.
    pub answered: u16,
    /// Which accepted connection carried it (0, 1, …).
    pub connection: usize,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Vec::new() }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn body(mut self, body: Vec<u8>) -> Reply {
        self.body = body;
        self
    }
}

pub struct Receiver {
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub base: String,
    pub requests: mpsc::Receiver<Received>,
}

/// A test PKI: a CA, a server certificate for `localhost` and a client certificate, all
/// written as PEM files into a fresh directory.
pub struct Pki {
    pub dir: PathBuf,
    pub ca_pem: PathBuf,
    pub client_cert_pem: PathBuf,
    pub client_key_pem: PathBuf,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: String,
    ca_der: CertificateDer<'static>,
}

impl Pki {
    pub fn generate(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("otel-pki-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "cargo-otel test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca");

        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &ca)
            .expect("server cert");
        let client_key = KeyPair::generate().expect("client key");
        let mut client_params = CertificateParams::new(vec!["otel-client".to_owned()]).expect("client params");
        client_params.distinguished_name.push(DnType::CommonName, "otel-client");
        let client = client_params.signed_by(&client_key, &ca).expect("client cert");

        let write = |file: &str, text: String| {
            let path = dir.join(file);
            std::fs::write(&path, text).expect("write pem");
            path
        };
        Pki {
            ca_pem: write("ca.pem", ca.pem()),
            client_cert_pem: write("client.pem", client.pem()),
            client_key_pem: write("client.key", client_key.serialize_pem()),
            server_chain: vec![server.der().clone()],
            server_key: server_key.serialize_pem(),
            ca_der: ca.der().clone(),
            dir,
        }
    }

    /// The server side; `require_client_cert` turns on mTLS (client certs from our CA).
    pub fn server_config(&self, require_client_cert: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("versions");
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).expect("ca root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::from_pem_slice(self.server_key.as_bytes()).expect("server key pem");
        Arc::new(builder.with_single_cert(self.server_chain.clone(), key).expect("server config"))
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Start a receiver answering `script` in order, then `200 OK` with an empty body.
pub fn start(tls: Option<Arc<rustls::ServerConfig>>, script: Vec<Reply>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let base = match tls {
        Some(_) => format!("https://localhost:{port}"),
        None => format!("http://127.0.0.1:{port}"),
    };
    let (tx, rx) = mpsc::channel();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    std::thread::spawn(move || {
        for (connection, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let (tx, script, tls) = (tx.clone(), script.clone(), tls.clone());
            std::thread::spawn(move || match tls {
                None => serve(stream, connection, &tx, &script),
                Some(config) => {
                    let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                    serve(rustls::StreamOwned::new(conn, stream), connection, &tx, &script);
                }
            });
        }
    });
    Receiver { base, requests: rx }
}

fn serve(mut s: impl Read + Write, connection: usize, tx: &mpsc::Sender<Received>, script: &Mutex<VecDeque<Reply>>) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        // One request: head, then Content-Length bytes.
        let (head, body) = loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if raw.len() >= end + 4 + len {
                    let body = raw[end + 4..end + 4 + len].to_vec();
                    raw.drain(..end + 4 + len);
                    break (head, body);
                }
            }
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        };
        let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let gzipped = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-encoding") && v == "gzip");
        let body = if gzipped {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut out).expect("a valid gzip body");
            out
        } else {
            body
        };
        let reply = script.lock().expect("script").pop_front().unwrap_or_else(|| Reply::status(200));
        let mut out = format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\n", reply.status, reply.body.len());
        for (k, v) in &reply.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&reply.body);
        let _ = tx.send(Received { path, headers, body, answered: reply.status, connection });
        if s.write_all(&bytes).and_then(|_| s.flush()).is_err() {
            return;
        }
    }
}
