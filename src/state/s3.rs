//! One S3 object read and written with S3's conditional requests: a write names the
//! ETag it expects to replace (`If-Match`) or that nothing is there yet
//! (`If-None-Match: *`), and S3 refuses it when another writer came first. The state
//! and its lock are both such objects.

use crate::aws::{AwsError, NotFoundExt, SdkResultExt};
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct S3Object {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub key: String,
}

/// What a write expects to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// No object at the key.
    Absent,
    /// The object with this ETag.
    ETag(String),
}

/// The answer to a conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written; the object's new ETag.
    Ok(String),
    /// S3 found another object than expected (someone else wrote or deleted it).
    Refused,
}

/// S3 answers a conditional write that races another write on the same key with 409
/// ConditionalRequestConflict: the write may be tried again.
const CONFLICT_RETRIES: u32 = 5;

impl S3Object {
    /// The object's text and ETag, or None when there is none.
    pub async fn get(&self) -> Result<Option<(String, String)>, AwsError> {
        let Some(out) = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
            .op("GetObject")
            .found()?
        else {
            return Ok(None);
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| AwsError::invalid("GetObject", format!("reading the body: {e}")))?
            .into_bytes();
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| AwsError::invalid("GetObject", "the object is not UTF-8 text"))?;
        Ok(Some((text, etag)))
    }

    /// Writes `text` if the object is as `expect` says.
    pub async fn put(&self, text: &str, expect: &Expect) -> Result<Written, AwsError> {
        let mut attempt = 0;
        loop {
            let mut put = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type("application/json")
                .body(ByteStream::from(text.as_bytes().to_vec()));
            put = match expect {
                Expect::Absent => put.if_none_match("*"),
                Expect::ETag(etag) => put.if_match(etag),
            };
            match put.send().await.op("PutObject") {
                Ok(out) => return Ok(Written::Ok(out.e_tag().unwrap_or_default().to_string())),
                // The SDK retries a request whose answer was lost; when the first
                // attempt was applied, the retry is refused by our own write.
                Err(e) if refused(&e) => {
                    return Ok(match self.get().await? {
                        Some((there, etag)) if there == text => Written::Ok(etag),
                        _ => Written::Refused,
                    });
                }
                Err(e) if e.code == "ConditionalRequestConflict" && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Deletes the object if it still has `etag`; `Refused` when another writer
    /// replaced or removed it.
    pub async fn delete(&self, etag: &str) -> Result<Written, AwsError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .if_match(etag)
            .send()
            .await
            .op("DeleteObject")
        {
            Ok(_) => Ok(Written::Ok(String::new())),
            Err(e) if refused(&e) => Ok(Written::Refused),
            Err(e) => Err(e),
        }
    }
}

/// A conditional request whose condition did not hold: 412 PreconditionFailed, or
/// the object an `If-Match` names is gone.
fn refused(e: &AwsError) -> bool {
    e.code == "PreconditionFailed" || e.is_not_found()
}
