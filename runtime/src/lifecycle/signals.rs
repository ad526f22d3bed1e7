//! SIGTERM and SIGINT flush what has ended, without taking the signals from the application.
//!
//! [`install`] (called once, when the pipeline is built; never on the disabled path) saves
//! each signal's disposition and installs [`on_signal`] with `sigaction`, unless the signal
//! is ignored (`nohup`, a supervisor's `SIG_IGN` stays as it is). A thread, `otel-signals`,
//! blocks on a self-pipe; the handler only writes one byte to it (async-signal-safe), and
//! that thread does the work:
//!
//! | at the signal | who ends the process | what the runtime does |
//! |---|---|---|
//! | we replaced a handler (the app installed one before the pipeline was built) | the app | calls that handler, then asks for a flush |
//! | the disposition is no longer ours (tokio, signal-hook: they replace it later and chain to us) | the app, usually returning from `main` (atexit shutdown) | asks for a flush |
//! | ours, over `SIG_DFL` (the app handles nothing) | the signal | shuts down (bounded by `CARGO_OTEL_SHUTDOWN_TIMEOUT`), then re-raises with `SIG_DFL`, so the exit status is the signal's |
//! | a second signal while that shutdown runs, or the pipe is full | the signal, at once | nothing more |
//!
//! An app that later replaces the disposition without chaining (`ctrlc`, a plain
//! `sigaction`) never reaches us: its handler decides, and a return from `main` or
//! `process::exit` flushes through atexit. A forked child that did not exec keeps the
//! handler but not the thread: there the handler behaves as the previous disposition would.
//! Not covered: SIGKILL (cannot be caught), an app that ends itself with `_exit` or by
//! re-raising with `SIG_DFL` from its own handler, other signals (SIGHUP, SIGQUIT).
//! Elsewhere than unix, [`install`] is a no-op.

#[cfg(unix)]
pub(super) use imp::install;

#[cfg(not(unix))]
pub(super) fn install() {}

#[cfg(unix)]
mod imp {
    use libc::{c_int, c_void, siginfo_t};
    use std::cell::UnsafeCell;
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

    const SIGNALS: [c_int; 2] = [libc::SIGTERM, libc::SIGINT];
    /// Pipe byte asking for a flush only (any other byte is the signal to re-raise).
    const FLUSH: u8 = 0;

    /// The disposition a signal had before ours, written once before ours is installed.
    struct Prev {
        action: UnsafeCell<MaybeUninit<libc::sigaction>>,
        ready: AtomicBool,
    }

    // Safety: `action` is written once, before `ready` is set (Release) and before our
    // handler is installed; afterwards it is only read.
    unsafe impl Sync for Prev {}

    static PREV: [Prev; 2] = [
        Prev { action: UnsafeCell::new(MaybeUninit::uninit()), ready: AtomicBool::new(false) },
        Prev { action: UnsafeCell::new(MaybeUninit::uninit()), ready: AtomicBool::new(false) },
    ];
    /// Write end of the self-pipe (non-blocking), -1 before [`install`].
    static PIPE: AtomicI32 = AtomicI32::new(-1);
    /// The process that owns the flushing thread (a forked child does not).
    static OWNER: AtomicI32 = AtomicI32::new(0);
    /// Set by the first signal the runtime itself terminates on.
    static TERMINATING: AtomicBool = AtomicBool::new(false);
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    /// Install the handlers and start the flushing thread (once per process).
    pub fn install() {
        if INSTALLED.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some((read_fd, write_fd)) = pipe() else {
            return;
        };
        let spawned = std::thread::Builder::new().name("otel-signals".into()).spawn(move || run(read_fd));
        if spawned.is_err() {
            // Safety: closing the two fds we just created and gave to no one.
            unsafe {
                libc::close(read_fd);
                libc::close(write_fd);
            }
            return;
        }
        PIPE.store(write_fd, Ordering::Release);
        // Safety: getpid has no preconditions.
        OWNER.store(unsafe { libc::getpid() }, Ordering::Release);
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // Safety: `sigaction` with a null new action only reads the current one into
            // `PREV[i]`, which nothing reads before `ready` is set.
            unsafe {
                let prev = (*PREV[i].action.get()).as_mut_ptr();
                if libc::sigaction(sig, std::ptr::null(), prev) != 0 || (*prev).sa_sigaction == libc::SIG_IGN {
                    continue;
                }
                PREV[i].ready.store(true, Ordering::Release);
                let mut ours: libc::sigaction = std::mem::zeroed();
                ours.sa_sigaction = on_signal as extern "C" fn(c_int, *mut siginfo_t, *mut c_void) as usize;
                ours.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
                libc::sigemptyset(&mut ours.sa_mask);
                libc::sigaction(sig, &ours, std::ptr::null_mut());
            }
        }
    }

    /// A close-on-exec pipe whose write end never blocks.
    fn pipe() -> Option<(c_int, c_int)> {
        let mut fds = [0 as c_int; 2];
        // Safety: `fds` has room for the two descriptors; fcntl on fds we own.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return None;
            }
            for fd in fds {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
            let flags = libc::fcntl(fds[1], libc::F_GETFL);
            libc::fcntl(fds[1], libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Some((fds[0], fds[1]))
    }

    /// The flushing thread: everything that is not async-signal-safe happens here.
    fn run(read_fd: c_int) {
        // Process-directed signals go to other threads, so this one is free to flush.
        let _ = set_blocked(libc::SIG_BLOCK);
        loop {
            let mut byte = 0u8;
            // Safety: reading one byte into a local buffer.
            let n = unsafe { libc::read(read_fd, (&mut byte as *mut u8).cast(), 1) };
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if n != 1 {
                return;
            }
            if byte == FLUSH {
                super::super::flush();
                continue;
            }
            super::super::shutdown();
            reraise(c_int::from(byte));
        }
    }

    fn set_blocked(how: c_int) -> c_int {
        // Safety: building a signal set on the stack and applying it to this thread.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in SIGNALS {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(how, &set, std::ptr::null_mut())
        }
    }

    /// Die of `sig` as if the runtime had never handled it.
    fn reraise(sig: c_int) {
        default_disposition(sig);
        let _ = set_blocked(libc::SIG_UNBLOCK);
        // Safety: raise and _exit have no preconditions; _exit only if the signal did not
        // end the process (it cannot, with SIG_DFL, for SIGTERM and SIGINT).
        unsafe {
            libc::raise(sig);
            libc::_exit(128 + sig);
        }
    }

    fn default_disposition(sig: c_int) {
        // Safety: installing SIG_DFL is async-signal-safe and always valid.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut dfl.sa_mask);
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
        }
    }

    /// Write one byte to the flushing thread; false when it cannot take it.
    fn notify(byte: u8) -> bool {
        let fd = PIPE.load(Ordering::Acquire);
        // Safety: a one-byte write to our non-blocking pipe (async-signal-safe).
        fd >= 0 && unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) } == 1
    }

    /// The handler: async-signal-safe calls only (getpid, sigaction, write, raise) and the
    /// previous handler; errno is restored for the interrupted code.
    extern "C" fn on_signal(sig: c_int, info: *mut siginfo_t, context: *mut c_void) {
        let saved = errno::get();
        handle(sig, info, context);
        errno::set(saved);
    }

    fn handle(sig: c_int, info: *mut siginfo_t, context: *mut c_void) {
        let Some(i) = SIGNALS.iter().position(|&s| s == sig) else {
            return;
        };
        if !PREV[i].ready.load(Ordering::Acquire) {
            return;
        }
        // Safety: written before `ready` was set, read only since.
        let prev = unsafe { (*PREV[i].action.get()).assume_init_ref() };
        // Safety: getpid is async-signal-safe.
        let owner = OWNER.load(Ordering::Acquire) == unsafe { libc::getpid() };
        if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN {
            // The application's own handler decides what the signal means.
            // Safety: calling the handler that was installed, with the signature its flags
            // promise.
            unsafe {
                if prev.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) = std::mem::transmute(prev.sa_sigaction);
                    f(sig, info, context);
                } else {
                    let f: extern "C" fn(c_int) = std::mem::transmute(prev.sa_sigaction);
                    f(sig);
                }
            }
            if owner {
                notify(FLUSH);
            }
            return;
        }
        if !owner {
            die(sig);
            return;
        }
        if !disposition_is_ours(sig) {
            // Installed after us and chaining to us (tokio, signal-hook): the app decides.
            notify(FLUSH);
            return;
        }
        if TERMINATING.swap(true, Ordering::AcqRel) || !notify(sig as u8) {
            die(sig);
        }
    }

    fn disposition_is_ours(sig: c_int) -> bool {
        // Safety: reading the current disposition (async-signal-safe).
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut current) == 0
                && current.sa_sigaction == on_signal as extern "C" fn(c_int, *mut siginfo_t, *mut c_void) as usize
        }
    }

    /// Default action now: the signal stays blocked until the handler returns, then kills.
    fn die(sig: c_int) {
        default_disposition(sig);
        // Safety: raise is async-signal-safe.
        unsafe {
            libc::raise(sig);
        }
    }

    /// errno, saved and restored around the handler (a no-op where libc names no accessor).
    mod errno {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        use libc::__errno_location as location;
        #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
        use libc::__error as location;

        #[cfg(any(
            target_os = "linux",
            target_os = "android",
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd"
        ))]
        pub fn get() -> libc::c_int {
            // Safety: this thread's errno is always readable.
            unsafe { *location() }
        }
        #[cfg(any(
            target_os = "linux",
            target_os = "android",
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd"
        ))]
        pub fn set(value: libc::c_int) {
            // Safety: this thread's errno is always writable.
            unsafe { *location() = value }
        }

        #[cfg(not(any(
            target_os = "linux",
            target_os = "android",
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd"
        )))]
        pub fn get() -> libc::c_int {
            0
        }
        #[cfg(not(any(
            target_os = "linux",
            target_os = "android",
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd"
        )))]
        pub fn set(_: libc::c_int) {}
    }
}
