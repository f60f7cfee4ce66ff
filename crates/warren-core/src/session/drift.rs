//! Drift as the front ends ask for it: two environments (or one, twice) and their vhosts.

use super::Session;
use crate::drift::{drift, DriftReport, SideSpec};
use crate::error::{Error, Result};

impl Session {
    /// Compare environment `a` (vhost `vhost_a`, `None`: all) with `b` (`vhost_b`). Needs the
    /// `management` tag on both (`monitoring` to see every vhost). Does not modify state.
    pub async fn drift(
        &self,
        a: &str,
        vhost_a: Option<String>,
        b: &str,
        vhost_b: Option<String>,
    ) -> Result<DriftReport> {
        let (env_a, password_a) = self.connect(a)?;
        let (env_b, password_b) = self.connect(b)?;
        drift(
            SideSpec {
                env: env_a,
                password: password_a,
                vhost: vhost_a,
            },
            SideSpec {
                env: env_b,
                password: password_b,
                vhost: vhost_b,
            },
        )
        .await
    }

    /// Write `report` to the Downloads folder as JSON (or CSV, a line per difference); the
    /// file's path.
    pub fn drift_export(&self, report: &DriftReport, csv: bool) -> Result<String> {
        let stem = format!("drift-{}-{}", report.a.env, report.b.env);
        let path =
            crate::deadletters::jsonl::download_path_for(&stem, if csv { "csv" } else { "json" })
                .ok_or_else(|| {
                Error::InvalidArgument("no Downloads or home folder to write the export to".into())
            })?;
        let text = if csv {
            crate::drift::to_csv(report)
        } else {
            serde_json::to_string_pretty(report)
                .map_err(|e| Error::InvalidArgument(e.to_string()))?
        };
        std::fs::write(&path, text).map_err(|e| Error::FileWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(path.display().to_string())
    }
}
