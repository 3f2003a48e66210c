//! Starts a private moto server for one test on a free loopback port and stops it
//! when dropped. Every test gets its own, so tests run in parallel without seeing
//! each other's resources.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REGION: &str = "eu-west-2";

pub struct Emulator {
    child: Child,
    pub endpoint: String,
}

/// Where moto_server is: `STACKCTL_MOTO_SERVER`, else the repository's `.venv`
/// (which `scripts/test` creates).
pub fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("STACKCTL_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local addr").port()
}

impl Emulator {
    pub fn start() -> Emulator {
        Self::start_with(&[])
    }

    /// `env` adds switches such as `MOTO_ECS_SERVICE_FAILED_TASKS`.
    pub fn start_with(env: &[(&str, &str)]) -> Emulator {
        let server = moto_server();
        assert!(
            server.exists(),
            "{} not found: run scripts/test (it installs moto into .venv), or set STACKCTL_MOTO_SERVER",
            server.display()
        );
        // A port picked free can be taken before moto binds it; try a few.
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(&server);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env("MOTO_ECS_SERVICE_RUNNING", "10")
                // ACM issues a requested certificate this many seconds after the
                // request, without looking at DNS (AWS: once it sees the record).
                .env("MOTO_ACM_VALIDATION_WAIT", "0")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            for (k, v) in env {
                cmd.env(k, v);
            }
            let child = cmd.spawn().expect("start moto_server");
            let mut emulator = Emulator {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            if emulator.wait_listening(port) {
                return emulator;
            }
        }
        panic!("moto_server did not start listening");
    }

    fn wait_listening(&mut self, port: u16) -> bool {
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

    pub async fn aws(&self) -> stackctl::aws::Aws {
        stackctl::aws::Aws::for_emulator(REGION, &self.endpoint).await
    }

    /// An S3 client on the emulator (path-style: loopback has no bucket host names).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "emulator",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A new bucket on the emulator for the state.
    pub async fn bucket(&self, name: &str) -> aws_sdk_s3::Client {
        let s3 = self.s3();
        s3.create_bucket()
            .bucket(name)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .expect("create the state bucket");
        s3
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
