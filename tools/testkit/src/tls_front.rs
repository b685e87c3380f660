//! An HTTPS front for a loopback server, with a certificate from a private development CA
//! ([`crate::dev_ca`]) that no public root program contains: what an identity
//! provider behind a corporate CA looks like to the authorizer.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// TLS on 127.0.0.1, forwarding the plain bytes to a target; stops on drop.
#[derive(Debug)]
pub struct TlsFront {
    addr: SocketAddr,
    ca_path: PathBuf,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    /// Terminates TLS for `target` (`127.0.0.1:<port>`), with a fresh CA.
    pub async fn start(target: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let cert = crate::dev_ca::ensure(dir.path()).expect("dev certificate");
        let acceptor = TlsAcceptor::from(crate::dev_ca::server_config(&cert).expect("tls"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(client).await else {
                        return; // a client that does not trust the CA hangs up here
                    };
                    if let Ok(mut upstream) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                    }
                });
            }
        });
        Self {
            addr,
            ca_path: cert.ca_path,
            task,
            _dir: dir,
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The CA certificate (PEM) a client must trust.
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}
