//! `opengate source …`: the operator's commands for sources (SPEC §11).

use clap::Subcommand;

use super::sources::{self, NewSource};
use crate::state::AppState;

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum SourceCmd {
    /// Add a partner site; prints its shared secret once.
    Add {
        /// Source code (its `merchantNo` in joint login, `source=` in import links).
        code: String,
        #[arg(long)]
        name: String,
        /// new_users: auto-login only accounts this source made; partner_users: any
        /// account never used directly that some source made.
        #[arg(long, default_value = "partner_users")]
        trust: String,
        /// The app whose joint-login calls may name this source.
        #[arg(long)]
        app: Option<String>,
        /// jsonapi or json.
        #[arg(long, default_value = "jsonapi")]
        adapter: String,
        /// For the json adapter: {"mobile":"/ptr","username":"/ptr","nickname":"/ptr"}.
        #[arg(long, default_value = "{}")]
        adapter_config: String,
        /// The source's user API, with {uid} where the user's id goes.
        #[arg(long)]
        user_url: Option<String>,
        /// The source's deduction endpoint (with --currency and --rate).
        #[arg(long)]
        deduct_url: Option<String>,
        /// Where refunds of orders paid through the source are credited back (a
        /// signed, idempotent credit; needs --deduct-url).
        #[arg(long)]
        refund_url: Option<String>,
        /// The source's own currency (create it first with `opengate currency set`).
        #[arg(long)]
        currency: Option<String>,
        /// Source-currency units per settlement unit, a decimal string (e.g. 10).
        #[arg(long)]
        rate: Option<String>,
    },
    /// List sources (no secrets).
    List,
    /// Make a new shared secret (printed once); the old one stops working at once.
    RotateSecret {
        code: String,
    },
    /// Stop accepting anything from a source.
    Disable {
        code: String,
    },
    Enable {
        code: String,
    },
}

pub async fn operate(st: &AppState, cmd: SourceCmd) -> anyhow::Result<String> {
    Ok(match cmd {
        SourceCmd::Add {
            code,
            name,
            trust,
            app,
            adapter,
            adapter_config,
            user_url,
            deduct_url,
            refund_url,
            currency,
            rate,
        } => {
            let n = NewSource {
                code,
                name,
                trust,
                app_id: app,
                adapter,
                adapter_config,
                user_url,
                deduct_url,
                refund_url,
                currency,
                rate,
            };
            let secret = sources::add_source(st, &n).await?;
            format!("source {} added\nshared secret (shown once, give it to the partner): {secret}", n.code)
        }
        SourceCmd::List => serde_json::to_string_pretty(&sources::list_sources(st).await?)?,
        SourceCmd::RotateSecret { code } => {
            let secret = sources::rotate_secret(st, &code).await?;
            format!("new shared secret of {code} (shown once; the old one no longer works): {secret}")
        }
        SourceCmd::Disable { code } => {
            sources::set_active(st, &code, false).await?;
            format!("source {code} disabled")
        }
        SourceCmd::Enable { code } => {
            sources::set_active(st, &code, true).await?;
            format!("source {code} enabled")
        }
    })
}
