//! moto in server mode on a free loopback port, for the length of one benchmark run.
//! Started the way tests/it/support/emulator.rs starts it, with the same switches.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Emulator {
    child: Child,
    pub endpoint: String,
}

impl Emulator {
    pub fn start(moto_server: &Path) -> Result<Emulator, String> {
        // A port picked free can be taken before moto binds it; try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free loopback port: {e}"))?
                .port();
            let child = Command::new(moto_server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env("MOTO_ECS_SERVICE_RUNNING", "10")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("{}: {e}", moto_server.display()))?;
            let mut emulator = Emulator {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            if emulator.listening(port) {
                return Ok(emulator);
            }
        }
        Err("moto_server did not start listening".into())
    }

    /// Creates an S3 bucket with one plain HTTP request (moto takes it unsigned).
    pub fn create_bucket(&self, name: &str) -> Result<(), String> {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).map_err(|e| format!("{host}: {e}"))?;
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| e.to_string())?;
        match answer.split_whitespace().nth(1) {
            Some("200") => Ok(()),
            _ => Err(format!("creating bucket {name}: {answer}")),
        }
    }

    fn listening(&mut self, port: u16) -> bool {
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
