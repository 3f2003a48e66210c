//! The regions AWS has, by partition, and what each partition offers that a stack
//! may use. A region AWS does not have (`mars-north-1`, `eu-west-22`) is refused by
//! validation with the nearest real one, instead of surfacing later as a DNS error
//! from an endpoint that does not exist. Policy ARNs are written with the partition
//! (`arn:aws-cn:iam::aws:policy/...` in China), and CloudFront is refused where the
//! partition does not have what the stack asks of it.
//!
//! Source: the partitions data the AWS SDKs ship (botocore `partitions.json`, the Rust
//! SDK's `sdk-partitions.json`), as of January 2026. A region AWS opens later needs a
//! newer stackctl, which the message says.

use super::suggest;

/// What CloudFront offers in a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cdn {
    /// CloudFront with certificates from ACM in us-east-1.
    WithAcm,
    /// China: CloudFront exists, but serves only on an alternate domain with an ICP
    /// registration and an IAM server certificate; it takes no ACM certificate and
    /// cannot serve on its default domain.
    ChinaOnly,
    /// GovCloud, the isolated and the sovereign partitions: no CloudFront.
    Unavailable,
}

/// An AWS partition: a set of regions with its own ARNs, endpoints and accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// The ARN prefix's partition: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub name: &'static str,
    /// How people call it in messages.
    pub title: &'static str,
    pub cdn: Cdn,
    pub regions: &'static [&'static str],
}

pub const PARTITIONS: &[Partition] = &[
    Partition {
        name: "aws",
        title: "AWS",
        cdn: Cdn::WithAcm,
        regions: &[
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ],
    },
    Partition {
        name: "aws-cn",
        title: "AWS China",
        cdn: Cdn::ChinaOnly,
        regions: &["cn-north-1", "cn-northwest-1"],
    },
    Partition {
        name: "aws-us-gov",
        title: "AWS GovCloud (US)",
        cdn: Cdn::Unavailable,
        regions: &["us-gov-east-1", "us-gov-west-1"],
    },
    Partition {
        name: "aws-iso",
        title: "AWS ISO",
        cdn: Cdn::Unavailable,
        regions: &["us-iso-east-1", "us-iso-west-1"],
    },
    Partition {
        name: "aws-iso-b",
        title: "AWS ISOB",
        cdn: Cdn::Unavailable,
        regions: &["us-isob-east-1", "us-isob-west-1"],
    },
    Partition {
        name: "aws-iso-e",
        title: "AWS ISOE",
        cdn: Cdn::Unavailable,
        regions: &["eu-isoe-west-1"],
    },
    Partition {
        name: "aws-iso-f",
        title: "AWS ISOF",
        cdn: Cdn::Unavailable,
        regions: &["us-isof-east-1", "us-isof-south-1"],
    },
    Partition {
        name: "aws-eusc",
        title: "AWS European Sovereign Cloud",
        cdn: Cdn::Unavailable,
        regions: &["eusc-de-east-1"],
    },
];

/// The partition `region` belongs to; None when AWS has no such region.
pub fn partition_of(region: &str) -> Option<&'static Partition> {
    PARTITIONS.iter().find(|p| p.regions.contains(&region))
}

/// Why `region` is refused, with the nearest real region when one is close.
pub fn unknown(region: &str) -> String {
    let all = PARTITIONS.iter().flat_map(|p| p.regions.iter().copied());
    let hint = match suggest::nearest(region, all) {
        Some(near) => format!("did you mean `{near}`? "),
        None => String::new(),
    };
    format!(
        "`{region}` is not an AWS region: {hint}The regions are listed at \
         https://docs.aws.amazon.com/general/latest/gr/rande.html (a region AWS opened \
         after this stackctl was built needs a newer stackctl)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_belongs_to_its_partition() {
        assert_eq!(partition_of("eu-west-2").unwrap().name, "aws");
        assert_eq!(partition_of("cn-north-1").unwrap().name, "aws-cn");
        assert_eq!(partition_of("us-gov-west-1").unwrap().name, "aws-us-gov");
        assert_eq!(partition_of("eu-west-22"), None);
        assert_eq!(partition_of("mars-north-1"), None);
    }

    #[test]
    fn an_unknown_region_names_the_nearest_real_one() {
        assert!(unknown("eu-west-22").contains("did you mean `eu-west-2`"));
        assert!(unknown("us-est-1").contains("did you mean `us-east-1`"));
        assert!(unknown("mars-north-1").contains("not an AWS region"));
    }

    #[test]
    fn every_region_is_listed_once() {
        let mut all: Vec<&str> = PARTITIONS
            .iter()
            .flat_map(|p| p.regions.iter().copied())
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
