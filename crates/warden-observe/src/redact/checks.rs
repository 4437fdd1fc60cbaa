//! Checks that turn a pattern's candidate into a finding: checksums where the
//! format has one (Luhn for cards, mod-97 for IBANs), number rules for SSNs, and
//! real parsing for IP addresses. They are what keeps order numbers, versions and
//! timestamps out of the redacted output.

use std::net::{Ipv4Addr, Ipv6Addr};

pub fn digits(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0'))
}

/// 13 to 19 digits passing the Luhn check, written plain or grouped with one kind
/// of separator.
pub fn card(text: &str) -> bool {
    let n = digits(text).count();
    if !(13..=19).contains(&n) {
        return false;
    }
    let has_space = text.contains(' ');
    let has_dash = text.contains('-');
    if has_space && has_dash {
        return false;
    }
    let ds: Vec<u32> = digits(text).collect();
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

/// A US social security number: area not 000, 666 or 9xx; group not 00; serial
/// not 0000.
pub fn ssn(text: &str) -> bool {
    let ds: Vec<u32> = digits(text).collect();
    if ds.len() != 9 {
        return false;
    }
    let area = ds[0] * 100 + ds[1] * 10 + ds[2];
    let group = ds[3] * 10 + ds[4];
    let serial = ds[5..].iter().fold(0, |a, d| a * 10 + d);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// An IBAN: the mod-97 check over the rearranged characters equals 1.
pub fn iban(text: &str) -> bool {
    let compact: Vec<u8> = text.bytes().filter(|b| *b != b' ').collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]);
    let mut rem: u32 = 0;
    for &b in rearranged {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

pub fn ipv4(text: &str) -> bool {
    text.parse::<Ipv4Addr>().is_ok()
}

pub fn ipv6(text: &str) -> bool {
    text.parse::<Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(card("4111 1111 1111 1111"));
        assert!(card("4111-1111-1111-1111"));
        assert!(card("378282246310005"));
        assert!(!card("4111 1111 1111 1112"));
        assert!(!card("4111 1111-1111 1111"));
        assert!(!card("411111111111"));
    }

    #[test]
    fn mod97() {
        assert!(iban("GB82WEST12345698765432"));
        assert!(iban("DE89 3704 0044 0532 0130 00"));
        assert!(!iban("GB82WEST12345698765433"));
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn("123-45-6789"));
        assert!(!ssn("000-45-6789"));
        assert!(!ssn("666-45-6789"));
        assert!(!ssn("912-45-6789"));
        assert!(!ssn("123-00-6789"));
        assert!(!ssn("123-45-0000"));
    }
}
