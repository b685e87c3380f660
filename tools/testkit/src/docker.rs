//! A private Docker daemon for `sam local invoke`, and an offline stand-in for the Lambda
//! base image.
//!
//! [`Daemon::start`] creates a Linux bridge with its own address, then runs Debian's
//! `dockerd` as root with its own socket, data root, exec root and that bridge, with
//! `--iptables=false --ip-masq=false --ip-forward=false`: it leaves any other daemon, the
//! firewall and the host's forwarding alone, and its containers can reach this machine
//! (through the bridge address) and nothing beyond it. Dropping it stops the daemon,
//! deletes the bridge and removes the data root, with every image and container in it.
//!
//! [`Daemon::import_stand_in`] builds the stand-in for `public.ecr.aws/lambda/provided`:
//! no registry is reachable, so SAM CLI cannot pull the real image. It is a root file
//! system laid out like Amazon Linux 2023's (`/var/task`, `/var/runtime`, `/opt`, glibc in
//! `/usr/lib64`, a CA bundle, the image's `LD_LIBRARY_PATH`) made of this Debian host's
//! files: the shared libraries the given binaries need, plus the `sh`, `mv` and `chmod`
//! SAM CLI runs when it adds its runtime interface emulator. It checks SAM's wiring and
//! the functions, **not** compatibility with Lambda's operating system.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The image SAM CLI asks for to run `provided.al2023` functions on x86_64.
pub const PROVIDED_AL2023_X86_64: &str = "public.ecr.aws/lambda/provided:al2023-x86_64";

/// Environment of the real `provided.al2023` image that matters to a function.
const IMAGE_ENV: [&str; 4] = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
    "LAMBDA_TASK_ROOT=/var/task",
    "LAMBDA_RUNTIME_DIR=/var/runtime",
];

/// A running private `dockerd` and the bridge it uses; stopped and removed on drop.
#[derive(Debug)]
pub struct Daemon {
    child: Option<Child>,
    bridge: String,
    gateway: Ipv4Addr,
    dir: tempfile::TempDir,
    cli: PathBuf,
}

impl Daemon {
    /// Creates bridge `bridge` on a free `10.254.x.0/24` (its `.1` the gateway) and starts
    /// `dockerd` on it.
    ///
    /// Panics (failing the test) with what to do when not root, when `dockerd` is missing,
    /// when the bridge already exists, or when the daemon does not answer within 60 s.
    pub fn start(bridge: &str) -> Self {
        assert!(
            is_root(),
            "sam local invoke tests start their own dockerd: run them as root"
        );
        let dockerd = which("dockerd").expect(
            "dockerd is not installed: apt-get install docker.io (Debian's package; .ci/run does)",
        );
        // Debian's docker.io puts its CLI in /usr/bin; prefer it over any other `docker`.
        let cli = ["/usr/bin/docker"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .or_else(|| which("docker"))
            .expect("the docker CLI is not installed (Debian's docker.io has it)");
        assert!(
            !Path::new("/sys/class/net").join(bridge).exists(),
            "network interface {bridge} already exists: another run is active, or a crashed one \
             left it behind (ip link delete {bridge})"
        );
        let gateway = free_subnet_gateway();
        // A short path: containerd's sockets live under the exec root (108-byte limit).
        let dir = tempfile::Builder::new()
            .prefix("sam-dockerd-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let mut daemon = Self {
            child: None,
            bridge: bridge.to_owned(),
            gateway,
            dir,
            cli,
        };
        run_checked(Command::new("ip").args(["link", "add", bridge, "type", "bridge"]));
        run_checked(Command::new("ip").args([
            "addr",
            "add",
            &format!("{gateway}/24"),
            "dev",
            bridge,
        ]));
        run_checked(Command::new("ip").args(["link", "set", bridge, "up"]));

        let root = daemon.dir.path();
        let log = std::fs::File::create(root.join("dockerd.log")).expect("dockerd log");
        let child = Command::new(dockerd)
            .arg(format!(
                "--host=unix://{}",
                root.join("docker.sock").display()
            ))
            .arg(format!("--data-root={}", root.join("data").display()))
            .arg(format!("--exec-root={}", root.join("exec").display()))
            .arg(format!("--pidfile={}", root.join("docker.pid").display()))
            .arg(format!("--bridge={bridge}"))
            .args(["--iptables=false", "--ip-masq=false", "--ip-forward=false"])
            .args(["--storage-driver=overlay2", "--log-level=warn"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("dockerd starts");
        daemon.child = Some(child);

        let started = Instant::now();
        while !daemon.docker(&["version"]).status.success() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "dockerd did not answer within 60 s:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        daemon
    }

    /// `unix://…/docker.sock`, for `DOCKER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }

    /// The bridge's address: this machine as its containers see it.
    pub fn gateway(&self) -> Ipv4Addr {
        self.gateway
    }

    /// Runs the docker CLI against this daemon.
    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new(&self.cli)
            .args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.dir.path().join("cli"))
            .stdin(Stdio::null())
            .output()
            .expect("the docker CLI runs")
    }

    /// Runs the docker CLI and returns its trimmed stdout; panics on failure.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(
            out.status.success(),
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Imports the stand-in base image as `tag`, with what `binaries` need to run.
    pub fn import_stand_in(&self, tag: &str, binaries: &[&Path]) {
        let rootfs = self.dir.path().join("stand-in");
        stand_in_rootfs(&rootfs, binaries);
        let tar = self.dir.path().join("stand-in.tar");
        run_checked(
            Command::new("tar")
                .arg("-cf")
                .arg(&tar)
                .arg("-C")
                .arg(&rootfs)
                .arg("."),
        );
        let mut args = vec![
            "import".to_owned(),
            "--change".to_owned(),
            "WORKDIR /var/task".to_owned(),
            "--change".to_owned(),
            "LABEL org.opencontainers.image.description=\"OFFLINE STAND-IN for the Lambda \
             provided.al2023 image (Debian files): checks SAM wiring and the functions, not \
             Lambda's operating system\""
                .to_owned(),
        ];
        for env in IMAGE_ENV {
            args.extend(["--change".to_owned(), format!("ENV {env}")]);
        }
        args.extend([tar.display().to_string(), tag.to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.docker_ok(&args);
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM lets dockerd stop its containerd and unmount its layers.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let started = Instant::now();
            while matches!(child.try_wait(), Ok(None)) {
                if started.elapsed() > Duration::from_secs(30) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = Command::new("ip")
            .args(["link", "delete", &self.bridge])
            .status();
    }
}

/// Lays out the stand-in's root file system in `root`.
fn stand_in_rootfs(root: &Path, binaries: &[&Path]) {
    for dir in [
        "var/task",
        "var/runtime",
        "var/rapid",
        "opt",
        "tmp",
        "usr/bin",
        "usr/lib64",
        "usr/lib",
        "etc/pki/tls/certs",
        "etc/ssl",
        "proc",
        "sys",
        "dev",
    ] {
        std::fs::create_dir_all(root.join(dir)).expect("stand-in directory");
    }
    // Amazon Linux 2023 is merged-/usr, like Debian.
    for (link, target) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/bin"),
        ("lib64", "usr/lib64"),
        ("lib", "usr/lib"),
        ("etc/ssl/certs", "../pki/tls/certs"),
    ] {
        std::os::unix::fs::symlink(target, root.join(link)).expect("stand-in symlink");
    }
    // Where AL2023 keeps its CA bundle. The samples need none (the publisher trusts only
    // the development CA), so a host without Debian's ca-certificates gets an empty one.
    let bundle = std::fs::read("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    std::fs::write(root.join("etc/pki/tls/certs/ca-bundle.crt"), bundle).expect("CA bundle");
    let mut needs: Vec<PathBuf> = binaries.iter().map(|p| p.to_path_buf()).collect();
    for tool in ["sh", "mv", "chmod"] {
        let path = which(tool).unwrap_or_else(|| panic!("{tool} not found"));
        std::fs::copy(&path, root.join("usr/bin").join(tool)).expect("copy tool");
        needs.push(path);
    }
    for binary in needs {
        for (name, path) in shared_libraries(&binary) {
            let to = root.join("usr/lib64").join(name);
            if !to.exists() {
                std::fs::copy(&path, &to).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
}

/// `(file name as the binary asks for it, where this host has it)` for each shared library
/// `binary` loads, the dynamic loader included (from `ldd`).
fn shared_libraries(binary: &Path) -> Vec<(String, PathBuf)> {
    let out = Command::new("ldd").arg(binary).output().expect("ldd runs");
    assert!(out.status.success(), "ldd {}", binary.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.trim().split(' ').next()?,
                None => line.split(' ').next()?,
            };
            let path = PathBuf::from(path);
            let name = path.file_name()?.to_str()?.to_owned();
            path.is_absolute().then_some((name, path))
        })
        .collect()
}

/// `10.254.x.1` for the first `x` whose /24 no route of this machine overlaps.
fn free_subnet_gateway() -> Ipv4Addr {
    let out = Command::new("ip")
        .args(["-4", "route", "show", "table", "all"])
        .output()
        .expect("ip route runs");
    let routes: Vec<(u32, u32)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let destination = line.split_whitespace().find(|w| w.contains('.'))?;
            let (ip, bits) = destination.split_once('/').unwrap_or((destination, "32"));
            let ip: Ipv4Addr = ip.parse().ok()?;
            let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Some((u32::from(ip) & mask, mask))
        })
        .collect();
    (213..=254u8)
        .map(|x| Ipv4Addr::new(10, 254, x, 0))
        .find(|net| {
            let net = u32::from(*net);
            // Two prefixes overlap when they agree on the shorter one's bits.
            routes
                .iter()
                .all(|(route, mask)| (net & mask) != *route && (route & 0xffff_ff00) != net)
        })
        .map(|net| Ipv4Addr::from(u32::from(net) | 1))
        .expect("a free 10.254.x.0/24 for the test bridge")
}

fn run_checked(command: &mut Command) {
    let out = command.output().expect("command runs");
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// The first executable called `name` on `PATH` (plus the sbin directories, which a
/// non-login root shell may lack).
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
