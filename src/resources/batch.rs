//! Batched reads (`Resource::read_many`): one describe call for many objects of a
//! kind, so that refreshing a stack costs a few calls per kind, not a few per object.

use crate::address::CloudId;
use crate::aws::AwsError;
use aws_sdk_ec2::types::Filter;
use std::collections::HashMap;
use std::future::Future;

/// Ids per EC2 describe call: the most values one filter takes.
pub const EC2_IDS: usize = 200;

/// ARNs per Elastic Load Balancing describe call (`DescribeTags` takes at most 20).
pub const ELB_ARNS: usize = 20;

/// Runs `describe` on chunks of at most `size` ids, all chunks at once, and returns
/// what it found in the order of `ids`: `None` where AWS did not return the id (the
/// object is gone). `describe` answers (id, object) pairs.
pub async fn by_chunks<'a, T, F, Fut>(
    ids: &'a [CloudId],
    size: usize,
    describe: F,
) -> Result<Vec<Option<T>>, AwsError>
where
    F: Fn(&'a [CloudId]) -> Fut,
    Fut: Future<Output = Result<Vec<(String, T)>, AwsError>>,
{
    let found = futures::future::try_join_all(ids.chunks(size).map(describe)).await?;
    Ok(in_order(ids, found.into_iter().flatten()))
}

/// `by_chunks` for Elastic Load Balancing, whose Describe* calls refuse a whole batch
/// when one ARN is gone: a chunk is read at once, and only when AWS says part of it is
/// not found, each of its objects alone, to learn which.
pub async fn elb<'a, T, F, Fut>(ids: &'a [CloudId], read: F) -> Result<Vec<Option<T>>, AwsError>
where
    F: Fn(&'a [CloudId]) -> Fut,
    Fut: Future<Output = Result<Vec<(String, T)>, AwsError>>,
{
    let read = &read;
    by_chunks(ids, ELB_ARNS, |chunk| async move {
        match read(chunk).await {
            Err(e) if e.is_not_found() && chunk.len() == 1 => Ok(Vec::new()),
            Err(e) if e.is_not_found() => {
                let each = chunk.iter().map(|id| async move {
                    match read(std::slice::from_ref(id)).await {
                        Err(e) if e.is_not_found() => Ok(Vec::new()),
                        r => r,
                    }
                });
                let each = futures::future::try_join_all(each).await?;
                Ok(each.into_iter().flatten().collect())
            }
            r => r,
        }
    })
    .await
}

/// `found` in the order of `ids`, `None` for an id it lacks.
pub fn in_order<T>(
    ids: &[CloudId],
    found: impl IntoIterator<Item = (String, T)>,
) -> Vec<Option<T>> {
    let mut by_id: HashMap<String, T> = found.into_iter().collect();
    ids.iter().map(|id| by_id.remove(id.as_str())).collect()
}

/// The one answer of a batch of one: how a kind with `read_many` reads a single object.
pub fn one(
    read: Result<Vec<Option<crate::resources::Live>>, AwsError>,
) -> Result<Option<crate::resources::Live>, AwsError> {
    Ok(read?.into_iter().next().flatten())
}

/// An EC2 filter on an id field (`subnet-id`, ...). Unlike the `...Ids` parameter,
/// which fails the whole call when one id no longer exists, a filter returns what
/// exists: one object deleted outside stackctl does not fail the batch.
pub fn ec2_ids(name: &str, ids: &[CloudId]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(ids.iter().map(|id| id.to_string()).collect()))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_in_the_order_asked_and_missing_ones_are_none() {
        let ids = [CloudId::new("a"), CloudId::new("b"), CloudId::new("c")];
        let found = [("c".to_string(), 3), ("a".to_string(), 1)];
        assert_eq!(in_order(&ids, found), vec![Some(1), None, Some(3)]);
    }

    #[tokio::test]
    async fn chunks_are_described_separately_and_joined() {
        let ids: Vec<CloudId> = (0..5).map(|i| CloudId::new(format!("id-{i}"))).collect();
        let sizes = std::sync::Mutex::new(Vec::new());
        let read = by_chunks(&ids, 2, |chunk| {
            sizes.lock().unwrap().push(chunk.len());
            async move {
                Ok(chunk
                    .iter()
                    .filter(|id| id.as_str() != "id-3")
                    .map(|id| (id.to_string(), id.to_string().len()))
                    .collect())
            }
        })
        .await
        .unwrap();
        assert_eq!(read, vec![Some(4), Some(4), Some(4), None, Some(4)]);
        assert_eq!(*sizes.lock().unwrap(), vec![2, 2, 1]);
    }

    #[tokio::test]
    async fn an_elb_batch_refused_for_one_gone_object_is_read_one_by_one() {
        let ids: Vec<CloudId> = ["a", "gone", "c"].into_iter().map(CloudId::new).collect();
        let asked = std::sync::Mutex::new(Vec::new());
        let read = elb(&ids, |chunk| {
            asked.lock().unwrap().push(chunk.len());
            async move {
                if chunk.iter().any(|id| id.as_str() == "gone") {
                    return Err(AwsError::not_found("DescribeTargetGroups", "gone"));
                }
                Ok(chunk.iter().map(|id| (id.to_string(), 1)).collect())
            }
        })
        .await
        .unwrap();
        assert_eq!(read, vec![Some(1), None, Some(1)]);
        assert_eq!(*asked.lock().unwrap(), vec![3, 1, 1, 1]);
    }
}
