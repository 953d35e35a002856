//! Key layout of the one sled tree. Everything lives in one tree so that a state change,
//! the effects it causes and the dedupe marker of the webhook that caused it commit in
//! one atomic batch.
//!
//! ```text
//! J <seq:u64be>                         journal of earlier versions (migrated at open)
//! S <shop> 0 <webhook id>               dedupe marker: seq under which a webhook was applied
//! X <shop>                              erased through: journal seqs below it are void
//! T <shop>                              tenant record
//! K <sha256 of api key>                 tenant API key -> shop
//! D <shop> 0 <seq:u64be>                dead letter
//! R <shop> 0 <kind:u8> <id bytes>       a tenant's record of some kind (see `Kind`)
//! N <phone number id>                   WhatsApp phone number id -> shop
//! W <waba id>                           WhatsApp Business Account id -> shop
//! L <link code>                         a tracked link of a message (`store::links`)
//! ```

/// Kinds of per-tenant records under `R`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Contact = b'c',
    ContactTombstone = b'C',
    Order = b'o',
    OrderTombstone = b'O',
    /// Index: customer id (8) + order id (8) -> empty.
    OrderByCustomer = b'i',
    Checkout = b'k',
    CheckoutTombstone = b'K',
    /// Index: customer id (8) + checkout id (8) -> empty.
    CheckoutByCustomer = b'j',
    Product = b'p',
    ProductTombstone = b'P',
    Collection = b'l',
    CollectionTombstone = b'L',
    Event = b'e',
    Export = b'x',
    /// Conversation actor's snapshot (one record).
    Conversations = b'v',
    /// Automation actor's snapshot (one record).
    Automations = b'a',
    /// Inbox thread.
    Thread = b't',
    /// Inbox message (inbound, outbound, note).
    Message = b'm',
    /// Index: thread id (8) + message id (8) -> empty.
    ThreadMessage = b'n',
    /// Index: first 8 bytes of SHA-256(wamid) -> message id.
    Wamid = b'w',
    /// Index: due time ms (8) + message id (8) -> empty: the outbox.
    Outbox = b'q',
    /// Message template, keyed by a hash of name and language.
    Template = b'g',
    /// Integration health (0 = Meta, 1 = Shopify).
    Health = b'h',
    /// A send's once-key -> the id of the message it queued (`SendRequest::once_key`).
    SendOnce = b's',
    /// Automation flow, current version (id -> flow).
    Flow = b'f',
    /// Index: flow id (8) + version (8) -> empty; the version's flow is `FlowVersion`.
    FlowVersion = b'F',
    /// Automation run (id -> run).
    Run = b'r',
    /// Index: due time ms (8) + run id (8) -> empty: the runs waiting on a delay.
    RunDue = b'd',
    /// Index: contact id (8) + run id (8) -> empty: a contact's runs.
    RunByContact = b'b',
    /// A domain event the automation actor has consumed (seq -> empty marker).
    EventDone = b'E',
    /// Once-markers of triggers (a hash of flow and what triggered) -> run id.
    TriggerOnce = b'u',
    /// Per-flow run counts (flow id -> `FlowCounts`).
    FlowStats = b'A',
    /// When a contact last entered a flow (a hash of flow and contact -> ms).
    Entered = b'B',
    /// A contact's recent marketing sends from automations (contact id -> ms list), for
    /// the global marketing cap.
    MarketingSends = b'D',
    /// Segment definition (id -> its draft as JSON).
    Segment = b'G',
    /// Static list (id -> name).
    List = b'H',
    /// Index: list id (8) + contact id (8) -> empty.
    ListMember = b'I',
    /// What segment rules read of a contact beyond its record: engagement times and the
    /// vendors and collections it bought (contact id -> signals).
    Signals = b'J',
    /// The Shopify integration's health (id 0), after the last Admin API call.
    ShopifyHealth = b'M',
    /// The shop's Shopify token facts (id 0): sealed refresh token, expiries, scopes.
    ShopifyAuth = b'N',
    /// A pending OAuth install's `state` nonce (a hash of it -> when it was issued).
    OauthState = b'Q',
    /// An initial import of one resource (1 = customers) and its progress.
    Import = b'U',
    /// Reconciliation high-water marks (1 = customers -> the newest `updatedAt` seen).
    ReconcileMark = b'V',
    /// Conversations (delivered template messages) per billing period (the period's
    /// number, `logic::billing::period_of`).
    Usage = b'W',
    /// The tenant's app subscriptions (id 0, `domain::billing::Subscriptions`).
    Subscription = b'S',
    /// A contact's default-address province code (`String`), by contact id.
    ContactRegion = b'T',
    /// The tenant's Meta catalog link (id 0, `services::catalog::CatalogLink`).
    CatalogLink = b'X',
    /// Lines of a bulk import waiting to be joined with their parent: resource (8) +
    /// owner (the root row's id, 8) + line number (8) -> the line (`store::import_stage`).
    ImportStage = b'R',
    /// The catalog push queue: product id (8) + a change number (8) -> empty. Written
    /// with the product's change (one batch), removed by the pusher once that change is
    /// in Meta's catalog; several numbers of one product coalesce into one push. A
    /// number with the top bit set asks for a forced push (manual re-sync).
    CatalogQueue = b'0',
    /// A variant's last push: product id (8) + variant id (8) ->
    /// `domain::catalog_sync::ItemSync`.
    ItemSync = b'1',
    /// The catalog push's health (id 0, `domain::catalog_sync::PushHealth`).
    CatalogHealth = b'2',
    /// Products the merchant keeps out of Meta's catalog (product id -> empty).
    CatalogExcluded = b'3',
    /// The last check of the catalog token and link (id 0,
    /// `domain::catalog_sync::CatalogCheck`).
    CatalogCheck = b'4',
    /// A product's image sizes (product id -> `Vec<domain::catalog_sync::ImageSize>`).
    ImageSizes = b'5',
    /// A campaign's definition (id -> `domain::campaigns::StoredCampaign`).
    Campaign = b'6',
    /// A campaign's run state (id -> `domain::campaigns::CampaignRun`).
    CampaignRun = b'7',
    /// A campaign's frozen recipient list in chunks: campaign id (8) + chunk number (8)
    /// -> `Vec<domain::campaigns::Recipient>` (`store::campaigns`).
    CampaignRecipients = b'8',
    /// Campaign recipients held for their quiet hours: due ms (8) + a sequence (8) ->
    /// `domain::campaigns::Held`.
    CampaignHeld = b'9',
    /// What an outbound message was sent for (message id -> `domain::analytics::MessageTag`).
    MessageTag = b'!',
    /// The campaign lane of the outbox: due time ms (8) + message id (8) -> empty.
    BulkOutbox = b'$',
    /// Index: contact id (8) + message id (8) -> empty: a contact's tagged messages
    /// (revenue attribution looks at them).
    ContactTag = b'%',
    /// Revenue attributed to an order (order id -> `logic::attribution::Credit`).
    OrderCredit = b'&',
    /// Revenue per message source (`Source::key`, or its day's `day_key` ->
    /// `domain::analytics::SourceRevenue`), written by the customer actor.
    SourceRevenue = b'(',
    /// Counters per message source (`Source::key` -> `domain::analytics::SourceStats`).
    SourceStats = b'#',
    /// The campaign lane's slices: slice id -> `Vec<domain::bulk::BulkItem>` (the
    /// messages a campaign tick handed in one write; removed once each is settled).
    BulkSlice = b')',
    /// The campaign lane's rounds in flight: round id -> `domain::bulk::Flight`.
    BulkFlight = b'*',
    /// Back-in-stock subscription, by its id.
    BackInStock = b'z',
    /// Index: variant id (8) + subscription id (8) -> empty.
    BackInStockByVariant = b'Z',
    /// Index: contact id (8) + subscription id (8) -> empty.
    BackInStockByContact = b'Y',
    /// Back-in-stock actor: id 0 = its event cursor; other ids = `VariantRestocked`
    /// event seqs already applied (+1, so seq 0 cannot collide with the cursor).
    BackInStockRestock = b'y',
}

pub fn journal(seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(b'J');
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub const JOURNAL_PREFIX: &[u8] = b"J";

pub fn seq_of_journal_key(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// First byte of every dedupe marker key.
pub const SEEN_PREFIX: &[u8] = b"S";

pub fn seen(shop: &str, webhook_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + shop.len() + webhook_id.len());
    k.push(SEEN_PREFIX[0]);
    k.extend_from_slice(shop.as_bytes());
    k.push(0);
    k.extend_from_slice(webhook_id.as_bytes());
    k
}

pub fn seen_prefix(shop: &str) -> Vec<u8> {
    let mut k = vec![b'S'];
    k.extend_from_slice(shop.as_bytes());
    k.push(0);
    k
}

pub fn tenant(shop: &str) -> Vec<u8> {
    let mut k = vec![b'T'];
    k.extend_from_slice(shop.as_bytes());
    k
}

pub const TENANT_PREFIX: &[u8] = b"T";

pub fn erased(shop: &str) -> Vec<u8> {
    let mut k = vec![b'X'];
    k.extend_from_slice(shop.as_bytes());
    k
}

pub fn api_key(hash: &[u8; 32]) -> Vec<u8> {
    let mut k = vec![b'K'];
    k.extend_from_slice(hash);
    k
}

pub fn dead_letter_prefix(shop: &str) -> Vec<u8> {
    let mut k = vec![b'D'];
    k.extend_from_slice(shop.as_bytes());
    k.push(0);
    k
}

pub fn dead_letter(shop: &str, seq: u64) -> Vec<u8> {
    let mut k = dead_letter_prefix(shop);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn tenant_records_prefix(shop: &str) -> Vec<u8> {
    let mut k = vec![b'R'];
    k.extend_from_slice(shop.as_bytes());
    k.push(0);
    k
}

pub fn kind_prefix(shop: &str, kind: Kind) -> Vec<u8> {
    let mut k = tenant_records_prefix(shop);
    k.push(kind as u8);
    k
}

pub fn record(shop: &str, kind: Kind, id: u64) -> Vec<u8> {
    let mut k = kind_prefix(shop, kind);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn pair(shop: &str, kind: Kind, a: u64, b: u64) -> Vec<u8> {
    let mut k = record(shop, kind, a);
    k.extend_from_slice(&b.to_be_bytes());
    k
}

/// The trailing big-endian u64 of a key (record id, event seq, second half of a pair).
pub fn last_u64(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    let bytes: [u8; 8] = key.get(start..)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

pub fn phone_number(id: &str) -> Vec<u8> {
    let mut k = vec![b'N'];
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn waba(id: &str) -> Vec<u8> {
    let mut k = vec![b'W'];
    k.extend_from_slice(id.as_bytes());
    k
}
