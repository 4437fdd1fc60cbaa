//! The two privilege layers that need no kernel feature: `no_new_privs` (no
//! set-uid binary or file capability can raise what the process may do, and the
//! precondition for an unprivileged seccomp filter), and dropping every
//! capability from every set, so a server started as root keeps only its uid's
//! file permissions.

use std::io;

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

pub fn no_new_privs() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Clears the ambient set, empties the bounding set where allowed (it needs
/// CAP_SETPCAP, which only a root start has; an unprivileged process has
/// nothing there to use), then sets effective, permitted and inheritable to
/// nothing. Returns whether the bounding set was emptied.
pub fn drop_capabilities() -> io::Result<bool> {
    // SAFETY: prctl with integer arguments only.
    let rc = unsafe { libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        // Kernels before 4.3 have no ambient set.
        if e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e);
        }
    }
    let mut bounding_emptied = true;
    for cap in 0..=last_cap() {
        // SAFETY: prctl with integer arguments only.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if rc != 0 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EPERM) => {
                    bounding_emptied = false;
                    break;
                }
                Some(libc::EINVAL) => break,
                _ => return Err(io::Error::last_os_error()),
            }
        }
    }
    let mut header = CapHeader { version: CAPABILITY_VERSION_3, pid: 0 };
    let mut held = [CapData::default(); 2];
    // SAFETY: capget writes a v3 header's two data words into `held`, valid for the call.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut CapHeader, held.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // Nothing held, nothing to drop: skipping capset lets a service manager forbid it
    // (systemd's ~@privileged) without stopping the start.
    if held.iter().all(|d| d.effective == 0 && d.permitted == 0 && d.inheritable == 0) {
        return Ok(bounding_emptied);
    }
    let mut header = CapHeader { version: CAPABILITY_VERSION_3, pid: 0 };
    let data = [CapData::default(); 2];
    // SAFETY: capset reads a v3 header and two data words, both valid for the call.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, data.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(bounding_emptied)
}

/// The highest capability number this kernel knows.
fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(40)
}
