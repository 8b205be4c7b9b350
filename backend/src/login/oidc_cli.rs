//! `opengate oidc-key …` and `opengate oidc-client …`: the operator's OpenID Connect
//! commands (ADR 0014).

use clap::{Args, Subcommand};

use super::{oidc, oidc_keys};
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum OidcKeyCmd {
    /// Add the next RS256 and EdDSA signing keys: published at once, signing after
    /// the publish delay; drops keys whose id_tokens have all expired.
    Rotate {
        /// Seconds before the new keys sign (default: `oidc_key_publish_secs`).
        #[arg(long)]
        publish_secs: Option<i64>,
    },
    /// Every stored key with its state (next, signing, retiring, expired).
    List,
}

#[derive(Debug, Args)]
pub struct OidcClientArgs {
    /// The app (client_id).
    pub app: String,
    /// `id_token_signed_response_alg`: RS256 (default) or EdDSA.
    #[arg(long)]
    pub id_token_alg: String,
}

pub async fn operate_key(st: &AppState, cmd: OidcKeyCmd) -> anyhow::Result<String> {
    Ok(match cmd {
        OidcKeyCmd::Rotate { publish_secs } => {
            let secs = publish_secs.unwrap_or(st.config.oidc_key_publish_secs);
            let added = oidc_keys::rotate(st, secs).await?;
            serde_json::to_string_pretty(&added)?
        }
        OidcKeyCmd::List => serde_json::to_string_pretty(&oidc_keys::report(st).await?)?,
    })
}

pub async fn operate_client(st: &AppState, a: OidcClientArgs) -> anyhow::Result<String> {
    oidc::set_app_alg(st, &a.app, &a.id_token_alg).await?;
    Ok(format!("app {}: id_tokens signed with {}", a.app, a.id_token_alg))
}
