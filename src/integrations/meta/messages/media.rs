//! Media messages (image, document, video, audio) and the media source shared with
//! template headers: an uploaded media id or a public `http(s)` link. Limits from
//! `reference/meta-api.md` §7: captions ≤1024 (none for audio), filenames for documents.

use super::{check_id, check_text, BuildError, CAPTION_MAX};
use serde_json::{Map, Value};

/// Where a media file comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaSource {
    /// A media id from `POST /{phone-number-id}/media` (valid 30 days).
    Id(String),
    /// A public `http(s)` URL Meta downloads (cached by Meta for 10 minutes).
    Link(String),
}

impl MediaSource {
    /// An uploaded media id.
    ///
    /// # Errors
    /// [`BuildError::Empty`] when blank.
    pub fn id(id: &str) -> Result<Self, BuildError> {
        check_id("media.id", id)?;
        Ok(Self::Id(id.to_owned()))
    }

    /// A public `http://` or `https://` URL.
    ///
    /// # Errors
    /// [`BuildError::Invalid`] for another scheme or a URL with spaces.
    pub fn link(url: &str) -> Result<Self, BuildError> {
        check_text("media.link", url, 2048)?;
        let lower = url.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
        if !scheme_ok || url.chars().any(char::is_whitespace) {
            return Err(BuildError::invalid(
                "media.link",
                "must be an http(s) URL without spaces",
            ));
        }
        Ok(Self::Link(url.to_owned()))
    }

    /// `{"id": …}` or `{"link": …}`.
    pub(crate) fn to_object(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Self::Id(id) => m.insert("id".into(), Value::from(id.as_str())),
            Self::Link(url) => m.insert("link".into(), Value::from(url.as_str())),
        };
        m
    }
}

/// The media message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// JPEG/PNG, 5 MB.
    Image,
    /// PDF, Office, text; 100 MB; may carry a filename.
    Document,
    /// MP4/3GP, 16 MB.
    Video,
    /// AAC/AMR/MP3/M4A/OGG, 16 MB; no caption.
    Audio,
}

impl MediaKind {
    /// The message `type` (and the key of the media object).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Video => "video",
            Self::Audio => "audio",
        }
    }
}

/// An image, document, video or audio message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaMessage {
    pub(super) kind: MediaKind,
    source: MediaSource,
    caption: Option<String>,
    filename: Option<String>,
}

impl MediaMessage {
    /// A media message without caption.
    pub fn new(kind: MediaKind, source: MediaSource) -> Self {
        Self {
            kind,
            source,
            caption: None,
            filename: None,
        }
    }

    /// Adds a caption (≤1024 characters; not for audio).
    ///
    /// # Errors
    /// [`BuildError`] naming `<type>.caption`.
    pub fn caption(mut self, caption: &str) -> Result<Self, BuildError> {
        let field = format!("{}.caption", self.kind.as_str());
        if self.kind == MediaKind::Audio {
            return Err(BuildError::invalid(field, "audio messages have no caption"));
        }
        check_text(&field, caption, CAPTION_MAX)?;
        self.caption = Some(caption.to_owned());
        Ok(self)
    }

    /// Sets the file name shown for a document (≤240 characters).
    ///
    /// # Errors
    /// [`BuildError`] naming `document.filename`, or when the message is not a document.
    pub fn filename(mut self, name: &str) -> Result<Self, BuildError> {
        let field = format!("{}.filename", self.kind.as_str());
        if self.kind != MediaKind::Document {
            return Err(BuildError::invalid(field, "only documents have a filename"));
        }
        check_text(&field, name, 240)?;
        self.filename = Some(name.to_owned());
        Ok(self)
    }

    pub(crate) fn to_object(&self) -> Value {
        let mut m = self.source.to_object();
        if let Some(c) = &self.caption {
            m.insert("caption".into(), Value::from(c.as_str()));
        }
        if let Some(f) = &self.filename {
            m.insert("filename".into(), Value::from(f.as_str()));
        }
        Value::Object(m)
    }
}
