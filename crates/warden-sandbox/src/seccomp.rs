//! The seccomp allowlist: the system calls a running Warden makes (serving,
//! hot reload, the audit log, JWKS refresh, the onnxruntime backend), and
//! nothing else. Anything outside it kills the whole process: a server
//! confused into `execve`, `ptrace`, `mount`, `bpf` or a new listening socket
//! is a server to stop, not to keep answering.
//!
//! Beyond the list: `socket` only for AF_UNIX, AF_INET and AF_INET6, other
//! families answered EAFNOSUPPORT (glibc's getaddrinfo opens a netlink socket to
//! sort a name's addresses, and copes when it cannot); `clone` only for threads
//! (no fork), with `clone3` answered ENOSYS so the C library falls back to
//! `clone`, whose flags a filter can read; `ioctl` only for the
//! few requests the runtime makes (non-blocking and close-on-exec flags,
//! terminal queries); `prctl` only to name threads and read the dumpable flag.
//! `bind` and `listen` are absent: the sockets are bound before the filter.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition as Cond, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::SandboxError;

/// Allowed whatever their arguments.
#[rustfmt::skip]
const ALLOWED: &[libc::c_long] = &[
    // Files and descriptors.
    libc::SYS_read, libc::SYS_write, libc::SYS_readv, libc::SYS_writev, libc::SYS_pread64,
    libc::SYS_pwrite64, libc::SYS_preadv, libc::SYS_pwritev, libc::SYS_preadv2, libc::SYS_pwritev2,
    libc::SYS_openat, libc::SYS_openat2, libc::SYS_close, libc::SYS_close_range, libc::SYS_fstat,
    libc::SYS_newfstatat, libc::SYS_statx, libc::SYS_lseek, libc::SYS_fcntl, libc::SYS_dup,
    libc::SYS_dup3, libc::SYS_pipe2, libc::SYS_getdents64, libc::SYS_readlinkat, libc::SYS_faccessat,
    libc::SYS_faccessat2, libc::SYS_mkdirat, libc::SYS_unlinkat, libc::SYS_renameat, libc::SYS_renameat2,
    libc::SYS_fsync, libc::SYS_fdatasync, libc::SYS_ftruncate, libc::SYS_fallocate, libc::SYS_fchmod,
    libc::SYS_fchmodat, libc::SYS_flock, libc::SYS_statfs, libc::SYS_fstatfs, libc::SYS_getcwd,
    libc::SYS_utimensat, libc::SYS_copy_file_range, libc::SYS_sendfile, libc::SYS_fadvise64,
    libc::SYS_inotify_init1, libc::SYS_inotify_add_watch, libc::SYS_inotify_rm_watch,
    // Memory.
    libc::SYS_mmap, libc::SYS_munmap, libc::SYS_mremap, libc::SYS_mprotect, libc::SYS_madvise,
    libc::SYS_brk, libc::SYS_membarrier, libc::SYS_get_mempolicy, libc::SYS_mincore,
    // Sockets (socket itself is checked below).
    libc::SYS_connect, libc::SYS_accept4, libc::SYS_sendto, libc::SYS_recvfrom, libc::SYS_sendmsg,
    libc::SYS_recvmsg, libc::SYS_sendmmsg, libc::SYS_recvmmsg, libc::SYS_shutdown,
    libc::SYS_getsockname, libc::SYS_getpeername, libc::SYS_setsockopt, libc::SYS_getsockopt,
    libc::SYS_socketpair,
    // Waiting and time.
    libc::SYS_epoll_create1, libc::SYS_epoll_ctl, libc::SYS_epoll_pwait, libc::SYS_epoll_pwait2,
    libc::SYS_eventfd2, libc::SYS_ppoll, libc::SYS_pselect6, libc::SYS_futex, libc::SYS_futex_waitv,
    libc::SYS_nanosleep, libc::SYS_clock_nanosleep, libc::SYS_clock_gettime, libc::SYS_clock_getres,
    libc::SYS_gettimeofday, libc::SYS_timerfd_create, libc::SYS_timerfd_settime,
    libc::SYS_timerfd_gettime, libc::SYS_sched_yield, libc::SYS_sched_getaffinity,
    libc::SYS_sched_setaffinity, libc::SYS_sched_getparam, libc::SYS_sched_getscheduler,
    libc::SYS_restart_syscall,
    // Threads, signals, the process itself.
    libc::SYS_set_robust_list, libc::SYS_get_robust_list, libc::SYS_set_tid_address, libc::SYS_rseq,
    libc::SYS_exit, libc::SYS_exit_group, libc::SYS_getpid, libc::SYS_gettid, libc::SYS_getppid,
    libc::SYS_getuid, libc::SYS_geteuid, libc::SYS_getgid, libc::SYS_getegid, libc::SYS_getresuid,
    libc::SYS_getresgid, libc::SYS_getgroups, libc::SYS_tgkill, libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask, libc::SYS_rt_sigreturn, libc::SYS_sigaltstack, libc::SYS_getrandom,
    libc::SYS_uname, libc::SYS_getrlimit, libc::SYS_prlimit64, libc::SYS_sysinfo, libc::SYS_getrusage,
    libc::SYS_capget,
];

/// The x86_64 system calls that aarch64 only has in their `*at` / `p*` forms.
#[cfg(target_arch = "x86_64")]
#[rustfmt::skip]
const ALLOWED_LEGACY: &[libc::c_long] = &[
    libc::SYS_open, libc::SYS_stat, libc::SYS_lstat, libc::SYS_access, libc::SYS_poll,
    libc::SYS_select, libc::SYS_pipe, libc::SYS_dup2, libc::SYS_rename, libc::SYS_mkdir,
    libc::SYS_unlink, libc::SYS_readlink, libc::SYS_epoll_wait, libc::SYS_epoll_create, libc::SYS_chmod,
    libc::SYS_arch_prctl, libc::SYS_time, libc::SYS_getdents,
];
#[cfg(not(target_arch = "x86_64"))]
const ALLOWED_LEGACY: &[libc::c_long] = &[];

/// The `ioctl` requests allowed: FIONBIO, FIOCLEX, FIONCLEX, FIONREAD, TCGETS,
/// TIOCGWINSZ.
const IOCTLS: &[u64] = &[0x5421, 0x5451, 0x5450, 0x541B, 0x5401, 0x5413];
/// `prctl` options allowed: PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, and
/// PR_SET_VMA (the C library names anonymous mappings with it).
const PRCTLS: &[u64] = &[15, 16, 3, 0x5356_4d41];

/// The allowlist as a BPF program, and the filters that answer instead of
/// killing: `clone3` with ENOSYS, other socket families with EAFNOSUPPORT.
pub fn programs() -> Result<(BpfProgram, Vec<BpfProgram>), SandboxError> {
    let arch: TargetArch = std::env::consts::ARCH.try_into().map_err(seccomp_error)?;
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        ALLOWED.iter().chain(ALLOWED_LEGACY).map(|&n| (n, Vec::new())).collect();
    // Allowed here; the families outside the three are answered by a filter below.
    rules.insert(libc::SYS_socket, Vec::new());
    rules.insert(libc::SYS_ioctl, any_of(1, IOCTLS)?);
    rules.insert(libc::SYS_prctl, any_of(0, PRCTLS)?);
    let thread = libc::CLONE_THREAD as u64;
    rules.insert(
        libc::SYS_clone,
        vec![
            SeccompRule::new(vec![Cond::new(0, Len::Qword, Op::MaskedEq(thread), thread).map_err(seccomp_error)?])
                .map_err(seccomp_error)?,
        ],
    );
    // Allowed here, answered by the second filter (the stricter answer wins).
    rules.insert(libc::SYS_clone3, Vec::new());
    let allowlist =
        SeccompFilter::new(rules, SeccompAction::KillProcess, SeccompAction::Allow, arch).map_err(seccomp_error)?;
    let no_clone3 = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )
    .map_err(seccomp_error)?;
    let ne = |family: i32| Cond::new(0, Len::Dword, Op::Ne, family as u64).map_err(seccomp_error);
    let other_family =
        SeccompRule::new(vec![ne(libc::AF_UNIX)?, ne(libc::AF_INET)?, ne(libc::AF_INET6)?]).map_err(seccomp_error)?;
    let no_other_sockets = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_socket, vec![other_family])]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EAFNOSUPPORT as u32),
        arch,
    )
    .map_err(seccomp_error)?;
    let answers =
        vec![no_clone3.try_into().map_err(seccomp_error)?, no_other_sockets.try_into().map_err(seccomp_error)?];
    Ok((allowlist.try_into().map_err(seccomp_error)?, answers))
}

/// Installs both filters on every thread of the process; the allowlist last,
/// since installing a filter calls `prctl(PR_SET_NO_NEW_PRIVS)`, which it forbids.
pub fn apply() -> Result<(), SandboxError> {
    let (allowlist, answers) = programs()?;
    for program in &answers {
        seccompiler::apply_filter_all_threads(program).map_err(seccomp_error)?;
    }
    seccompiler::apply_filter_all_threads(&allowlist).map_err(seccomp_error)?;
    Ok(())
}

/// One rule per value: argument `arg` (an `int`: its low 32 bits) equal to any of `values`.
fn any_of(arg: u8, values: &[u64]) -> Result<Vec<SeccompRule>, SandboxError> {
    values
        .iter()
        .map(|&v| {
            SeccompRule::new(vec![Cond::new(arg, Len::Dword, Op::Eq, v).map_err(seccomp_error)?]).map_err(seccomp_error)
        })
        .collect()
}

fn seccomp_error(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Seccomp(e.to_string())
}
