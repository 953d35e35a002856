//! What one queued product needs at Meta, given what was last pushed of each of its
//! variants: an UPDATE for every listed variant whose item changed (or all of them when
//! forced), nothing for an unchanged one, a DELETE for a variant Meta may hold that is
//! gone, unlisted or now invalid, and the variants refused before sending. Pure: the
//! pusher (`services::catalog_push`) sends and records.

use super::{item_checked, listed, ItemProblem, ItemRequest, ShopFacts};
use crate::domain::catalog::{retailer_id, Product};
use crate::domain::catalog_sync::ImageSize;
use crate::domain::catalog_sync::{ItemSync, PushOutcome};
use crate::domain::ShopifyId;
use sha2::{Digest, Sha256};

/// One request to send, with what to record once Meta accepts it.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// The variant.
    pub variant: ShopifyId,
    /// The request (UPDATE or DELETE).
    pub request: ItemRequest,
    /// Hash of the item's fields (UPDATE; 0 for DELETE).
    pub hash: u64,
    /// A DELETE of a variant that is now invalid: recorded FAILED with this problem.
    pub invalid: Option<ItemProblem>,
}

/// The plan of one product.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Requests for Meta.
    pub send: Vec<Planned>,
    /// Variants refused before sending that Meta does not hold (recorded FAILED).
    pub invalid: Vec<(ShopifyId, ItemProblem)>,
    /// Variants whose record is dropped: gone or unlisted, and never at Meta.
    pub forget: Vec<ShopifyId>,
}

/// A stable hash of an item's fields (SHA-256 of its JSON, keys in order).
pub fn item_hash(data: &serde_json::Value) -> u64 {
    let digest = Sha256::digest(data.to_string().as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(b)
}

/// The plan for `product` (`None`: deleted) given the variants' last pushes (`known`).
/// `force` sends every listed variant even when unchanged (manual re-sync); `sizes` are
/// the product's known image sizes.
pub fn plan(
    shop: &ShopFacts,
    product: Option<&Product>,
    excluded: bool,
    known: &[(ShopifyId, ItemSync)],
    force: bool,
    sizes: &[ImageSize],
) -> Plan {
    let find = |v: ShopifyId| known.iter().find(|(id, _)| *id == v).map(|(_, s)| s);
    let mut out = Plan::default();
    let live = product.filter(|p| listed(p, excluded));
    if let Some(p) = live {
        for v in &p.variants {
            let last = find(v.id);
            match item_checked(shop, p, v, sizes) {
                Ok(data) => {
                    let hash = item_hash(&data);
                    let unchanged = last.is_some_and(|s| {
                        s.outcome == PushOutcome::Synced && s.hash == hash && s.at_meta
                    });
                    if force || !unchanged {
                        out.send.push(Planned {
                            variant: v.id,
                            request: ItemRequest::Update {
                                id: retailer_id(v.id),
                                data,
                            },
                            hash,
                            invalid: None,
                        });
                    }
                }
                Err(problem) if last.is_some_and(|s| s.at_meta) => out.send.push(Planned {
                    variant: v.id,
                    request: ItemRequest::Delete {
                        id: retailer_id(v.id),
                    },
                    hash: 0,
                    invalid: Some(problem),
                }),
                Err(problem) => out.invalid.push((v.id, problem)),
            }
        }
    }
    for (v, last) in known {
        let still = live.is_some_and(|p| p.variants.iter().any(|x| x.id == *v));
        if still {
            continue;
        }
        if last.at_meta {
            out.send.push(Planned {
                variant: *v,
                request: ItemRequest::Delete {
                    id: retailer_id(*v),
                },
                hash: 0,
                invalid: None,
            });
        } else {
            out.forget.push(*v);
        }
    }
    out
}
