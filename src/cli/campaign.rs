//! `galantis campaign …`: list a shop's campaigns and watch one with a progress bar until
//! it is over (sent, delivered, read, failed, skipped by reason, A/B phase, replies,
//! clicks, orders and revenue), against a running engine.

use super::{request, Remote};
use clap::Subcommand;
use serde_json::Value;

/// `campaign` subcommands.
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// The shop's campaigns, one line each.
    List {
        /// `{name}.myshopify.com`.
        #[arg(long)]
        shop: String,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
    /// Follow a campaign with a progress bar until it is over.
    Watch {
        /// `{name}.myshopify.com`.
        #[arg(long)]
        shop: String,
        /// The campaign id.
        id: String,
        /// Print once and return.
        #[arg(long)]
        once: bool,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// The campaign as one progress line.
pub fn line(c: &Value) -> String {
    let p = &c["progress"];
    let (handed, total) = (n(&p["handed"]), n(&p["total"]));
    let width = 30u64;
    let filled = (handed.min(total) * width).checked_div(total).unwrap_or(0);
    let bar = format!(
        "{}{}",
        "#".repeat(filled as usize),
        "-".repeat((width - filled) as usize)
    );
    let skipped: Vec<String> = p["skipped"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k} {}", n(v))).collect())
        .unwrap_or_default();
    let r = &c["results"];
    let mut s = format!(
        "{:<20} [{bar}] {handed}/{total}  sent {} · delivered {} · read {} · failed {} · queued {}",
        c["definition"]["name"].as_str().unwrap_or("?"),
        n(&p["sent"]),
        n(&p["delivered"]),
        n(&p["read"]),
        n(&p["failed"]),
        n(&p["queued"]),
    );
    if !skipped.is_empty() {
        s.push_str(&format!(" · skipped ({})", skipped.join(", ")));
    }
    s.push_str(&format!(
        " · replied {} · clicked {} · orders {} · revenue {}  {}",
        n(&r["replied"]),
        n(&r["clicked"]),
        n(&r["orders"]),
        r["revenue"].as_str().unwrap_or("0"),
        c["status"].as_str().unwrap_or("?"),
    ));
    if let Some(phase) = c["ab"]["phase"].as_str() {
        s.push_str(&format!(" · A/B {phase}"));
        if let Some(w) = c["ab"]["winner"].as_str() {
            s.push_str(&format!(" (winner {w})"));
        }
    }
    if let Some(note) = c["note"].as_str() {
        s.push_str(&format!(" — {note}"));
    }
    s
}

fn is_final(c: &Value) -> bool {
    matches!(
        c["status"].as_str(),
        Some("SENT" | "PARTIALLY_SENT" | "FAILED" | "CANCELLED")
    )
}

/// Runs a `campaign` subcommand.
///
/// # Errors
/// The engine cannot be reached or answers an error.
pub async fn run(cmd: CampaignCommand) -> anyhow::Result<()> {
    use reqwest::Method;
    match cmd {
        CampaignCommand::List { shop, remote } => {
            let v = request(
                &remote,
                Method::GET,
                "/api/v1/campaigns?limit=100",
                Some(&shop),
                None,
            )
            .await?;
            let items = v["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                println!("no campaigns for {shop}");
            }
            for c in &items {
                println!("{:>20}  {}", c["id"].as_str().unwrap_or("?"), line(c));
            }
            Ok(())
        }
        CampaignCommand::Watch {
            shop,
            id,
            once,
            remote,
        } => {
            let path = format!("/api/v1/campaigns/{id}");
            let mut last = String::new();
            loop {
                let c = request(&remote, Method::GET, &path, Some(&shop), None).await?;
                let l = line(&c);
                if l != last {
                    println!("{l}");
                    last = l;
                }
                if once || is_final(&c) {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::line;
    use serde_json::json;

    #[test]
    fn the_line_shows_the_bar_counts_and_status() {
        let c = json!({"definition": {"name": "Winter sale"}, "status": "SENDING",
            "progress": {"handed": 50, "total": 100, "sent": 48, "delivered": 40, "read": 20,
                         "failed": 1, "queued": 1, "skipped": {"smart_sending": 2}},
            "results": {"replied": 3, "clicked": 4, "orders": 1, "revenue": "25.00"},
            "ab": {"phase": "WAITING", "winner": null}});
        let l = line(&c);
        assert!(l.contains("[###############---------------] 50/100"), "{l}");
        assert!(l.contains("skipped (smart_sending 2)"), "{l}");
        assert!(l.contains("revenue 25.00  SENDING · A/B WAITING"), "{l}");
    }
}
