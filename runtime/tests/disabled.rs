//! `OTEL_SDK_DISABLED=true`: every entry point is a no-op returning 0.

use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use std::collections::HashMap;

#[test]
fn disabled_sdk_is_a_no_op() {
    let env: HashMap<String, String> =
        [("OTEL_SDK_DISABLED", "true")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    assert!(otel_runtime::__test::install(|| Config::from_env_map(&env, None), None).is_none());
    let span = otel::Span::start("x", otel::SERVER);
    assert!(span.is_none());
    assert!(!otel::enabled("reqwest"));
    assert!(otel::Context::current().is_empty());
    struct H;
    impl otel::Extractor for H {
        fn get(&self, _: &str) -> Option<&str> {
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        }
    }
    assert!(otel::extract(&H).is_empty());
    otel::record(otel::HTTP_CLIENT_DURATION, 1.0, &[]);
    otel_runtime::exports::__otel_v1_shutdown();
    // The disabled path installs no signal handler.
    #[cfg(unix)]
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // Safety: reading the current disposition into a zeroed struct.
        let current = unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut current), 0);
            current.sa_sigaction
        };
        assert_eq!(current, libc::SIG_DFL, "signal {sig} has a handler");
    }
}
