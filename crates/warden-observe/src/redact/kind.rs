//! What a redacted value was. The replacement keeps the kind, so a reader still
//! sees that an e-mail address or a card number was there.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Phone,
    Card,
    Ssn,
    Iban,
    Ipv4,
    Ipv6,
    Jwt,
    Bearer,
    WardenKey,
    AwsKey,
    GithubToken,
    SlackToken,
    PrivateKey,
    /// A pattern from the configuration, by its index there.
    Custom(usize),
}

impl Kind {
    pub const BUILT_IN: [Kind; 14] = [
        Kind::Email,
        Kind::Phone,
        Kind::Card,
        Kind::Ssn,
        Kind::Iban,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Jwt,
        Kind::Bearer,
        Kind::WardenKey,
        Kind::AwsKey,
        Kind::GithubToken,
        Kind::SlackToken,
        Kind::PrivateKey,
    ];

    /// The label in replacements and in the labelled corpus.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::Card => "CARD",
            Kind::Ssn => "SSN",
            Kind::Iban => "IBAN",
            Kind::Ipv4 => "IPV4",
            Kind::Ipv6 => "IPV6",
            Kind::Jwt => "JWT",
            Kind::Bearer => "BEARER",
            Kind::WardenKey => "WARDEN_KEY",
            Kind::AwsKey => "AWS_KEY",
            Kind::GithubToken => "GITHUB_TOKEN",
            Kind::SlackToken => "SLACK_TOKEN",
            Kind::PrivateKey => "PRIVATE_KEY",
            Kind::Custom(_) => "CUSTOM",
        }
    }

    pub fn is_address(self) -> bool {
        matches!(self, Kind::Ipv4 | Kind::Ipv6)
    }

    /// Secrets are always masked outright: a pseudonym of a credential would still
    /// let someone confirm a guess.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            Kind::Jwt
                | Kind::Bearer
                | Kind::WardenKey
                | Kind::AwsKey
                | Kind::GithubToken
                | Kind::SlackToken
                | Kind::PrivateKey
        )
    }
}
