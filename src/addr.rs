//! Conversions between `std::net::SocketAddr` and the C `sockaddr` libsrt takes.

use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A socket address in C form, big enough for IPv4 and IPv6.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::c_int,
}

impl RawAddr {
    /// An empty address with room for any family (for calls that write one).
    pub(crate) fn empty() -> RawAddr {
        RawAddr {
            // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
            storage: unsafe { zeroed() },
            len: size_of::<libc::sockaddr_storage>() as libc::c_int,
        }
    }

    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const libc::sockaddr_storage as *const libc::sockaddr
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut libc::sockaddr_storage as *mut libc::sockaddr
    }

    /// The Rust address, or None for a family other than IPv4/IPv6.
    #[allow(clippy::wrong_self_convention)] // reads through a pointer to the storage
    pub(crate) fn to_socket_addr(&self) -> Option<SocketAddr> {
        // SAFETY: storage is a sockaddr_storage, large and aligned enough for every family.
        unsafe { from_sockaddr_ptr(self.as_ptr()) }
    }
}

impl From<SocketAddr> for RawAddr {
    fn from(addr: SocketAddr) -> RawAddr {
        let mut raw = RawAddr::empty();
        match addr {
            SocketAddr::V4(a) => {
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
                let sin = unsafe { &mut *(raw.as_mut_ptr() as *mut libc::sockaddr_in) };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
                raw.len = size_of::<libc::sockaddr_in>() as libc::c_int;
            }
            SocketAddr::V6(a) => {
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
                let sin6 = unsafe { &mut *(raw.as_mut_ptr() as *mut libc::sockaddr_in6) };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_scope_id = a.scope_id();
                raw.len = size_of::<libc::sockaddr_in6>() as libc::c_int;
            }
        }
        raw
    }
}

/// Reads a C socket address.
///
/// # Safety
/// `ptr` must be null or point to a valid `sockaddr` whose family field says how much of it
/// is readable (a `sockaddr_in` for AF_INET, a `sockaddr_in6` for AF_INET6).
pub(crate) unsafe fn from_sockaddr_ptr(ptr: *const libc::sockaddr) -> Option<SocketAddr> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller promises a valid sockaddr; sa_family is its first field.
    match unsafe { (*ptr).sa_family } as libc::c_int {
        libc::AF_INET => {
            // SAFETY: family AF_INET means the caller's memory holds a sockaddr_in.
            let sin = unsafe { &*(ptr as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: family AF_INET6 means the caller's memory holds a sockaddr_in6.
            let sin6 = unsafe { &*(ptr as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_v4_and_v6() {
        for s in ["127.0.0.1:9000", "[::1]:4201", "0.0.0.0:0", "[fe80::1%3]:1"] {
            let a: SocketAddr = s.parse().unwrap();
            assert_eq!(RawAddr::from(a).to_socket_addr(), Some(a), "{s}");
        }
    }
}
