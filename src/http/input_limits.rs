//! Size limits of what the admin API takes that the typed builders do not already bound
//! (message bodies and templates are checked against Meta's limits in
//! `integrations::meta`). Platform limits where a platform has one, sensible ones
//! elsewhere; each breach is a 400 `too_long` / `too_many` naming the field and the
//! limit. Webhook limits live with their webhook (`shopify_webhooks`, `logic::customers`).

use super::error::ApiError;

/// An agent's name (reply author, assignee, note author).
pub const AGENT_CHARS: usize = 100;
/// An internal note: WhatsApp's text body limit, so a note can be quoted to the customer.
pub const NOTE_CHARS: usize = 4096;
/// A contact search text.
pub const SEARCH_CHARS: usize = 255;
/// A Meta id (phone number id, WABA id): digits; Meta's are 15–17 long today.
pub const META_ID_DIGITS: usize = 32;
/// WhatsApp phone numbers of one shop (Meta lets a business grow to 20 by default).
pub const PHONE_NUMBERS: usize = crate::services::whatsapp_account::MAX_PHONE_NUMBERS;
/// An access token (Shopify's are 38 characters, Meta's a few hundred).
pub const TOKEN_CHARS: usize = 4096;

/// Refuses `value` when it has more than `max` characters.
///
/// # Errors
/// 400 `too_long` naming `field` and `max`.
pub fn max_chars(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::bad_request(
            "too_long",
            format!("`{field}` has {n} characters; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// Refuses `count` items when more than `max`.
///
/// # Errors
/// 400 `too_many` naming `field` and `max`.
pub fn max_items(field: &str, count: usize, max: usize) -> Result<(), ApiError> {
    if count > max {
        return Err(ApiError::bad_request(
            "too_many",
            format!("`{field}` has {count} items; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// A Meta id: 1 to [`META_ID_DIGITS`] ASCII digits.
///
/// # Errors
/// 400 `invalid_field` (not digits) or `too_long`, naming `field`.
pub fn meta_id(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("`{field}` must be Meta's numeric id"),
        ));
    }
    max_chars(field, value, META_ID_DIGITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(max_chars("author", &"é".repeat(100), AGENT_CHARS).is_ok());
        assert!(max_chars("author", &"é".repeat(101), AGENT_CHARS).is_err());
        assert!(max_items("tags", 3, 2).is_err());
        assert!(meta_id("waba_id", "123").is_ok());
        assert!(meta_id("waba_id", &"1".repeat(33)).is_err());
        assert!(meta_id("waba_id", "12a").is_err());
    }
}
