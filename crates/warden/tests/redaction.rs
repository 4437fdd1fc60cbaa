//! Personal data and credentials sent in every place a client controls must not
//! come back out: not in a log line (even at debug level with request bodies
//! logged), not in the audit log, not in an error answer.

mod common;

use std::time::Duration;

use common::{Options, Server};

const EMAIL: &str = "alice.liddell@example.org";
const CARD: &str = "4111 1111 1111 1111";
const SSN: &str = "078-05-1120";
const PHONE: &str = "+44 20 7946 0958";
const IBAN: &str = "GB82WEST12345698765432";
const GITHUB: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const AWS: &str = "AKIAIOSFODNN7EXAMPLE";

const SECRETS: [&str; 7] = [EMAIL, CARD, SSN, PHONE, IBAN, GITHUB, AWS];

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"@.-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn nothing_a_client_sends_reaches_logs_audit_or_answers_unredacted() {
    let mut server =
        Server::start_with(Options::args(&["--log-level", "debug", "--log-payloads", "--log-format", "json"]));
    let key = server.admin_key();
    let client = server.client();
    let mut answers = Vec::new();
    let send = |r: reqwest::RequestBuilder| {
        let r = r.build().unwrap();
        let client = client.clone();
        async move {
            let response = client.execute(r).await.unwrap();
            response.text().await.unwrap()
        }
    };

    // Model names and query strings in the path.
    for secret in SECRETS {
        let path = format!("/v2/models/{}/infer?email={}&card={}", pct(secret), pct(EMAIL), pct(CARD));
        answers.push(send(client.post(server.endpoint(&path)).bearer_auth(&key).body("{}")).await);
        answers.push(send(client.get(server.endpoint(&format!("/v2/models/{}", pct(secret)))).bearer_auth(&key)).await);
    }
    // Headers: a credential that is refused, and free-form headers.
    answers.push(send(client.get(server.endpoint("/v2")).bearer_auth(GITHUB).header("x-customer", EMAIL)).await);
    answers.push(send(client.get(server.endpoint("/v2")).header("authorization", format!("Basic {AWS}"))).await);
    // Bodies that do not parse, and bodies that parse but quote the values back.
    let bodies = [
        format!("{{\"email\": \"{EMAIL}\", \"card\": \"{CARD}\""),
        format!("{{\"inputs\": \"{EMAIL} {SSN} {PHONE}\"}}"),
        format!("{{\"inputs\": [{{\"name\": \"{IBAN}\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}}]}}"),
        format!("{{\"inputs\": [{{\"name\": \"X\", \"shape\": [1, 64], \"datatype\": \"{CARD}\", \"data\": []}}]}}"),
        format!(
            "{{\"id\": \"{GITHUB}\", \"inputs\": [{{\"name\": \"X\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [\"{AWS}\"]}}]}}"
        ),
    ];
    for body in bodies {
        let r = client.post(server.endpoint("/v2/models/default/infer")).bearer_auth(&key).body(body);
        answers.push(send(r).await);
        let r = client
            .post(server.endpoint("/v1/models/default:predict"))
            .bearer_auth(&key)
            .body(format!("{{\"instances\": [\"{EMAIL}\"]}}"));
        answers.push(send(r).await);
    }

    server.terminate();
    server.wait(Duration::from_secs(30));
    let logs = server.stderr_text();
    let audit = std::fs::read_to_string(server.audit_dir().join("audit.jsonl")).unwrap();
    assert!(logs.contains("request body"), "bodies were logged (redacted) at debug level: {logs}");
    assert!(logs.contains("[EMAIL]"), "and their values were replaced by their kind");
    for secret in SECRETS {
        let squeezed: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
        let encoded = pct(secret);
        let forms = [secret, squeezed.as_str(), encoded.as_str()];
        for (place, text) in [("logs", logs.as_str()), ("audit log", audit.as_str())] {
            for form in forms {
                assert!(!text.contains(form), "{form} leaked into the {place}");
            }
        }
        for answer in &answers {
            for form in forms {
                assert!(!answer.contains(form), "{form} came back in an answer: {answer}");
            }
        }
    }
    for line in logs.lines() {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["level"].is_string());
    }
    let request_lines: Vec<&str> = logs.lines().filter(|l| l.contains("\"message\":\"request\"")).collect();
    assert!(!request_lines.is_empty());
    assert!(request_lines.iter().all(|l| l.contains("\"span\":{\"id\":")), "every request line carries its id");
}
