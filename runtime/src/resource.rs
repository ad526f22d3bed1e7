//! The resource every signal carries, built once at start: the SDK's `telemetry.sdk.*`, the
//! distro, the process, the host and the container (where readable), then
//! `OTEL_RESOURCE_ATTRIBUTES`, then `service.name`. Later sources win, so a user's
//! `OTEL_RESOURCE_ATTRIBUTES=host.name=…` overrides what is detected.
//!
//! Detection reads only what is local and cheap (`/proc`, `gethostname`): no network
//! (cloud metadata endpoints) at start-up, because the first span must not wait on it.

use crate::config::Config;
use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::TelemetryResourceDetector;

/// The resource for `config`.
pub fn build(config: &Config) -> Resource {
    let mut attrs = vec![
        KeyValue::new("telemetry.distro.name", "cargo-otel"),
        KeyValue::new("telemetry.distro.version", env!("CARGO_PKG_VERSION")),
    ];
    attrs.extend(process());
    attrs.extend(host());
    if let Some(id) = container_id() {
        attrs.push(KeyValue::new("container.id", id));
    }
    attrs.extend(
        config
            .resource_attributes
            .iter()
            .filter(|(k, _)| k != "service.name")
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attrs)
        .with_service_name(config.service_name.clone())
        .build()
}

/// `process.*`: pid, executable name and path. Not the command line: arguments carry
/// secrets often enough (`--password`, tokens) that they stay out unless a user adds them.
fn process() -> Vec<KeyValue> {
    let mut attrs = vec![KeyValue::new("process.pid", i64::from(std::process::id()))];
    if let Ok(exe) = std::env::current_exe() {
        if let Some(name) = exe.file_name().and_then(|n| n.to_str()) {
            attrs.push(KeyValue::new("process.executable.name", name.to_owned()));
        }
        if let Some(path) = exe.to_str() {
            attrs.push(KeyValue::new("process.executable.path", path.to_owned()));
        }
    }
    attrs
}

/// `host.name`, `host.arch` and `os.type` (the conventions' spellings).
fn host() -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if let Some(name) = host_name() {
        attrs.push(KeyValue::new("host.name", name));
    }
    attrs.push(KeyValue::new("host.arch", arch(std::env::consts::ARCH)));
    attrs.push(KeyValue::new("os.type", os(std::env::consts::OS)));
    attrs
}

fn arch(rust: &'static str) -> &'static str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "x86",
        "arm" => "arm32",
        "powerpc" => "ppc32",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        other => other,
    }
}

fn os(rust: &'static str) -> &'static str {
    match rust {
        "macos" => "darwin",
        "illumos" | "solaris" => "solaris",
        other => other,
    }
}

#[cfg(unix)]
fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // Safety: the buffer is valid for its length; gethostname NUL-terminates on success
    // (and truncation is handled by the search for NUL below).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    std::str::from_utf8(&buf[..end]).ok().filter(|s| !s.is_empty()).map(str::to_owned)
}

#[cfg(not(unix))]
fn host_name() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty())
}

/// The container id, from `/proc/self/cgroup` (cgroup v1 and some v2 setups) or, failing
/// that, `/proc/self/mountinfo` (cgroup v2: the runtime's per-container files are mounted
/// from `…/containers/<id>/…`).
fn container_id() -> Option<String> {
    let read = |path| std::fs::read_to_string(path).ok();
    read("/proc/self/cgroup")
        .and_then(|text| from_cgroup(&text))
        .or_else(|| read("/proc/self/mountinfo").and_then(|text| from_mountinfo(&text)))
}

/// A 64-hex-digit id: the form Docker, containerd and CRI-O use.
fn container_like(word: &str) -> Option<&str> {
    (word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit())).then_some(word)
}

fn from_cgroup(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let path = line.rsplit(':').next()?;
        let last = path.rsplit('/').next()?;
        // `docker-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`, or the bare id.
        let last = last.strip_suffix(".scope").unwrap_or(last);
        let id = last.rsplit('-').next()?;
        container_like(id).map(str::to_owned)
    })
}

fn from_mountinfo(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut parts = line.split("/containers/").skip(1);
        let after = parts.next()?;
        container_like(after.split('/').next()?).map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::{Key, Value};

    const ID: &str = "3f1d0c2b4a5968778695a4b3c2d1e0f9e8d7c6b5a4938271605f4e3d2c1b0a99";

    #[test]
    fn container_id_from_cgroup_v1_and_systemd_scopes() {
        assert_eq!(from_cgroup(&format!("12:pids:/docker/{ID}\n0::/\n")).as_deref(), Some(ID));
        assert_eq!(
            from_cgroup(&format!("0::/system.slice/docker-{ID}.scope\n")).as_deref(),
            Some(ID),
            "systemd cgroup driver"
        );
        assert_eq!(from_cgroup(&format!("0::/kubepods/burstable/pod1/cri-containerd-{ID}.scope")).as_deref(), Some(ID));
        assert_eq!(from_cgroup("0::/\n"), None, "cgroup v2 root: not in a container, or v2 without the id");
        assert_eq!(from_cgroup("0::/user.slice/user-1000.slice/session-2.scope"), None);
    }

    #[test]
    fn container_id_from_mountinfo() {
        let line = format!(
            "1449 1420 254:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw"
        );
        assert_eq!(from_mountinfo(&line).as_deref(), Some(ID));
        assert_eq!(from_mountinfo("23 1 254:1 / / rw - ext4 /dev/vda1 rw"), None);
        assert_eq!(from_mountinfo("1 1 0:1 /containers/short/x /x rw - x x"), None, "not an id");
    }

    #[test]
    fn resource_has_sdk_process_host_then_user_attributes_and_service() {
        let env = [
            ("OTEL_SERVICE_NAME".to_owned(), "orders".to_owned()),
            ("OTEL_RESOURCE_ATTRIBUTES".to_owned(), "host.name=override,deployment.environment.name=prod".to_owned()),
        ]
        .into_iter()
        .collect();
        let resource = build(&Config::from_env_map(&env, Some("exe")));
        let get = |k: &'static str| resource.get(&Key::from_static_str(k));
        assert_eq!(get("service.name"), Some(Value::from("orders")));
        assert_eq!(get("telemetry.sdk.name"), Some(Value::from("opentelemetry")));
        assert_eq!(get("telemetry.sdk.language"), Some(Value::from("rust")));
        assert!(matches!(get("telemetry.sdk.version"), Some(Value::String(v)) if !v.as_str().is_empty()));
        assert_eq!(get("telemetry.distro.name"), Some(Value::from("cargo-otel")));
        assert_eq!(get("process.pid"), Some(Value::I64(i64::from(std::process::id()))));
        assert!(get("process.executable.name").is_some());
        assert_eq!(get("host.name"), Some(Value::from("override")), "the user's attributes win");
        assert_eq!(get("deployment.environment.name"), Some(Value::from("prod")));
        assert_eq!(get("host.arch"), Some(Value::from(arch(std::env::consts::ARCH))));
        assert_eq!(get("os.type"), Some(Value::from(os(std::env::consts::OS))));
    }

    #[test]
    fn host_name_is_detected() {
        if cfg!(unix) {
            assert!(host_name().is_some_and(|h| !h.is_empty()));
        }
    }
}
