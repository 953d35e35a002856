//! The sandbox file (`<data dir>/sandbox.toml`): the generated master key, Shopify client
//! secret and operator token, the demo tenant's API key once known, and the store's seed
//! and clock. Kept next to the data so a restart reuses them: without the same master key
//! the sealed tokens in the store could not be opened, and the tenant key is shown only
//! once by the engine. Written with mode 0600; it holds secrets.

use anyhow::Context;
use figment::providers::{Format, Toml};
use figment::Figment;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// File name inside the data dir.
pub const FILE_NAME: &str = "sandbox.toml";

/// What the sandbox keeps between runs.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SandboxFile {
    /// 32 bytes, hex: `security.master_key`.
    pub master_key: String,
    /// `shopify.client_secret`: the HMAC key of the fed webhooks.
    pub shopify_client_secret: String,
    /// `security.operator_token`.
    pub operator_token: String,
    /// The demo tenant.
    pub shop: String,
    /// The demo tenant's API key, once created.
    #[serde(default)]
    pub tenant_api_key: Option<String>,
    /// Seed of the generated store.
    pub seed: u64,
    /// The store's clock (Unix seconds): fixed at the first run so reruns regenerate the
    /// very same payloads and are deduplicated.
    pub store_now: i64,
}

impl SandboxFile {
    /// Fresh secrets for `shop`.
    pub fn generate(shop: &str, seed: u64, store_now: i64) -> Self {
        Self {
            master_key: crate::secrets::MasterKey::generate_hex(),
            shopify_client_secret: format!(
                "shpss_{}",
                crate::secrets::MasterKey::generate_hex()
                    .get(..32)
                    .unwrap_or_default()
            ),
            operator_token: format!("op_{}", crate::secrets::MasterKey::generate_hex()),
            shop: shop.to_string(),
            tenant_api_key: None,
            seed,
            store_now,
        }
    }

    /// The file's path in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Reads the file, or `None` when it does not exist.
    ///
    /// # Errors
    /// When it exists but cannot be read or parsed.
    pub fn load(path: &Path) -> anyhow::Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let file: Self = Figment::from(Toml::file(path))
            .extract()
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(file))
    }

    /// Writes the file (0600 on Unix), replacing it atomically.
    ///
    /// # Errors
    /// When it cannot be written.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("toml.tmp");
        write_private(&tmp, self.to_toml().as_bytes())
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// The TOML text. Strings go through JSON quoting, which TOML basic strings accept.
    fn to_toml(&self) -> String {
        let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        let mut out = String::from(
            "# galantis sandbox: generated secrets and the demo store's seed.\n\
             # Keep this file with the data dir: the master key opens the sealed tokens in it.\n",
        );
        out.push_str(&format!("master_key = {}\n", q(&self.master_key)));
        out.push_str(&format!(
            "shopify_client_secret = {}\n",
            q(&self.shopify_client_secret)
        ));
        out.push_str(&format!("operator_token = {}\n", q(&self.operator_token)));
        out.push_str(&format!("shop = {}\n", q(&self.shop)));
        if let Some(k) = &self.tenant_api_key {
            out.push_str(&format!("tenant_api_key = {}\n", q(k)));
        }
        out.push_str(&format!("seed = {}\n", self.seed));
        out.push_str(&format!("store_now = {}\n", self.store_now));
        out
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = SandboxFile::path(dir.path());
        assert_eq!(SandboxFile::load(&path).expect("no file is fine"), None);
        let mut f = SandboxFile::generate("demo-store.myshopify.com", 42, 1_772_463_600);
        f.save(&path).expect("saves");
        assert_eq!(SandboxFile::load(&path).expect("loads"), Some(f.clone()));
        f.tenant_api_key = Some("glt_abc".into());
        f.save(&path).expect("saves again");
        assert_eq!(SandboxFile::load(&path).expect("loads"), Some(f.clone()));
        assert!(crate::secrets::MasterKey::parse(&f.master_key).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
