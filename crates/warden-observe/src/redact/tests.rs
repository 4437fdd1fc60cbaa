use super::*;

fn masked() -> Redactor {
    Redactor::new(Settings { addresses: AddressMode::Mask, ..Settings::default() }).unwrap()
}

fn kinds(text: &str) -> Vec<Kind> {
    masked().find(text).into_iter().map(|f| f.kind).collect()
}

#[test]
fn each_kind_is_found_and_replaced_by_its_label() {
    let cases = [
        ("mail alice.smith+ml@example.co.uk now", Kind::Email, "mail [EMAIL] now"),
        ("call +1 415 555 2671 today", Kind::Phone, "call [PHONE] today"),
        ("call (415) 555-2671 today", Kind::Phone, "call [PHONE] today"),
        ("tel 06 12 34 56 78", Kind::Phone, "tel [PHONE]"),
        ("card 4111 1111 1111 1111 ok", Kind::Card, "card [CARD] ok"),
        ("card=4111-1111-1111-1111", Kind::Card, "card=[CARD]"),
        ("ssn 123-45-6789.", Kind::Ssn, "ssn [SSN]."),
        ("iban DE89 3704 0044 0532 0130 00 x", Kind::Iban, "iban [IBAN] x"),
        ("from 203.0.113.9:443", Kind::Ipv4, "from [IP]:443"),
        ("from 2001:db8::8a2e:370:7334 x", Kind::Ipv6, "from [IP] x"),
        ("key wdn_0123456789ab_", Kind::WardenKey, ""),
        ("AKIAIOSFODNN7EXAMPLE used", Kind::AwsKey, "[AWS_KEY] used"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", Kind::GithubToken, "token [GITHUB_TOKEN]"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKl", Kind::SlackToken, "[SLACK_TOKEN]"),
    ];
    for (text, kind, expected) in cases {
        if expected.is_empty() {
            continue;
        }
        assert_eq!(kinds(text), [kind], "{text}");
        assert_eq!(masked().redact(text), expected, "{text}");
    }
}

#[test]
fn credentials_in_headers_and_bodies() {
    let r = masked();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz";
    assert_eq!(r.redact(&format!("Authorization: Bearer {jwt}")), "Authorization: Bearer [JWT]");
    assert_eq!(r.redact("authorization: bearer abcdefgh12345678"), "authorization: bearer [BEARER]");
    assert_eq!(
        r.redact("Bearer wdn_0123456789ab_00112233445566778899aabbccddeeff"),
        "Bearer [WARDEN_KEY]",
        "a Warden key keeps its own label"
    );
    assert_eq!(
        r.redact(r#"aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY""#),
        r#"aws_secret_access_key = "[AWS_KEY]""#
    );
    let pem = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\nabc=\\n-----END RSA PRIVATE KEY-----";
    assert_eq!(r.redact(&format!("{{\"key\":\"{pem}\"}}")), "{\"key\":\"[PRIVATE_KEY]\"}");
}

#[test]
fn lookalikes_are_left_alone() {
    let clean = [
        "order 4111 1111 1111 1112 shipped", // fails Luhn
        "took 1234567 bytes in 2026-11-26T10:22:01Z",
        "id 550e8400-e29b-41d4-a716-446655440000",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "version 1.2.3 on port 8443",
        "ssn-like 000-12-3456",
        "at 12:30:45 on 2026-11-26",
        "GB82WEST12345698765433 is not an IBAN", // fails mod-97
        "pod warden-7d9f8b6c5d-x2x4z ready",
    ];
    let r = masked();
    for text in clean {
        assert_eq!(r.redact(text), text, "{:?}", r.find(text));
    }
}

#[test]
fn addresses_can_be_kept_or_pseudonymised() {
    let keep = Redactor::new(Settings { addresses: AddressMode::Keep, ..Settings::default() }).unwrap();
    assert_eq!(keep.redact("from 203.0.113.9"), "from 203.0.113.9");
    let pseudo = Redactor::new(Settings { key: Some([7; 32]), ..Settings::default() }).unwrap();
    let a = pseudo.redact("from 203.0.113.9").into_owned();
    let b = pseudo.redact("again 203.0.113.9").into_owned();
    assert!(a.starts_with("from [IP:") && !a.contains("203.0"), "{a}");
    assert_eq!(a.trim_start_matches("from "), b.trim_start_matches("again "), "same value, same pseudonym");
    let other = Redactor::new(Settings { key: Some([8; 32]), ..Settings::default() }).unwrap();
    assert_ne!(other.redact("from 203.0.113.9"), a, "a different key gives a different pseudonym");
}

#[test]
fn the_servers_own_loopback_and_wildcard_addresses_stay_readable() {
    let r = masked();
    assert_eq!(
        r.redact("listening on 127.0.0.1:8443 and 0.0.0.0:9464 and ::1"),
        "listening on 127.0.0.1:8443 and 0.0.0.0:9464 and ::1"
    );
    assert_eq!(r.redact("from 203.0.113.9"), "from [IP]");
}

#[test]
fn pseudonymised_values_keep_their_kind_but_secrets_are_masked() {
    let r = Redactor::new(Settings { pseudonymise: true, key: Some([1; 32]), ..Settings::default() }).unwrap();
    let out = r.redact("user bob@example.com with ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    assert!(out.starts_with("user [EMAIL:"), "{out}");
    assert!(out.ends_with("with [GITHUB_TOKEN]"), "{out}");
}

#[test]
fn custom_patterns_are_applied() {
    let r =
        Redactor::new(Settings { custom: vec![("employee_id".into(), r"EMP-[0-9]{6}".into())], ..Settings::default() })
            .unwrap();
    assert_eq!(r.redact("by EMP-004211 at noon"), "by [EMPLOYEE_ID] at noon");
    assert!(Redactor::new(Settings { custom: vec![("bad".into(), "(".into())], ..Settings::default() }).is_err());
}

#[test]
fn any_text_is_safe_to_scan() {
    let r = masked();
    for text in ["", "é@é.é", "::", "+", "\u{0}\u{ffff}", "1.2.3.4.5.6.7.8", "bearer", "-----BEGIN PRIVATE KEY-----"]
    {
        let _ = r.redact(text);
    }
}
