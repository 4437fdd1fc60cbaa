//! Flags and environment variables for every configuration key, generated from
//! the key table in `warden_serve::SETTINGS` so the three can never drift apart.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use warden_serve::{Kind, SETTINGS};

/// The `(key, value)` pairs given as flags or environment variables.
#[derive(Debug, Default)]
pub struct SettingArgs(pub Vec<(String, String)>);

impl FromArgMatches for SettingArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut pairs = Vec::new();
        for s in SETTINGS {
            if s.kind == Kind::Bool {
                if let Some(on) = m.get_one::<bool>(s.key) {
                    pairs.push((s.key.to_string(), on.to_string()));
                }
            } else if let Some(v) = m.get_one::<String>(s.key) {
                pairs.push((s.key.to_string(), v.clone()));
            }
        }
        Ok(SettingArgs(pairs))
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = SettingArgs::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for SettingArgs {
    fn augment_args(cmd: Command) -> Command {
        SETTINGS.iter().fold(cmd, |cmd, s| {
            let mut arg = Arg::new(s.key).long(s.flag()).env(s.env()).help(s.help);
            // The short spellings users of other servers expect: --jwt-jwks, --jwt-issuer...
            if let Some(rest) = s.key.strip_prefix("auth.jwt.") {
                arg = arg.visible_alias(format!("jwt-{}", rest.replace('_', "-")));
            }
            let arg = match s.kind {
                // `--flag` means true; `--flag=false` (or the variable set to false)
                // turns off a setting that is on by default.
                Kind::Bool => arg
                    .action(ArgAction::Set)
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
                    .value_parser(clap::value_parser!(bool))
                    .value_name("BOOL"),
                _ => arg.value_name(value_name(s.kind)),
            };
            cmd.arg(arg)
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        SettingArgs::augment_args(cmd)
    }
}

fn value_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Addr | Kind::OptionalAddr => "ADDR",
        Kind::Path => "PATH",
        Kind::Paths => "PATHS",
        Kind::Networks => "CIDRS",
        Kind::Size => "SIZE",
        Kind::Duration => "DURATION",
        Kind::Count => "N",
        Kind::LogLevel => "LEVEL",
        Kind::ClientAuth => "MODE",
        Kind::Text => "TEXT",
        Kind::Bool => "BOOL",
        Kind::Choice(_) => "WORD",
        Kind::Patterns => "NAME=REGEX",
        Kind::Rate => "RATE",
        Kind::IdentityLimits => "TABLE",
    }
}
