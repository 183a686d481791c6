//! Typed properties of every resource type `tenancy` emits, one module per service, and the
//! [`Properties`] enum that names each type and lists the attributes `Fn::GetAtt` may read.

mod acm;
mod cloudfront;
mod codebuild;
mod codepipeline;
mod cognito;
mod dynamodb;
mod ecr;
mod eks;
mod events;
mod iam;
mod kms;
mod logs;
mod route53;
mod s3;
mod sns;
mod sqs;
mod wafv2;

pub use acm::*;
pub use cloudfront::*;
pub use codebuild::*;
pub use codepipeline::*;
pub use cognito::*;
pub use dynamodb::*;
pub use ecr::*;
pub use eks::*;
pub use events::*;
pub use iam::*;
pub use kms::*;
pub use logs::*;
pub use route53::*;
pub use s3::*;
pub use sns::*;
pub use sqs::*;
pub use wafv2::*;

use serde::{Serialize, Serializer};

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag key (1 to 128 characters; the `aws:` prefix is reserved). tenancy's keys start `tenancy:`.
    pub key: String,
    /// The tag value (0 to 256 characters).
    pub value: String,
}

/// Tags from `(key, value)` pairs, in the order given.
pub fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag { key: (*k).to_owned(), value: (*v).to_owned() }).collect()
}

macro_rules! resource_types {
    ($($variant:ident = $type_name:literal [$($attr:literal),*];)*) => {
        /// The properties of one resource, tagged with its type.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Properties {
            $(
                #[doc = concat!("The properties of an `", $type_name, "`.")]
                $variant($variant),
            )*
        }

        impl Properties {
            /// The CloudFormation type name, e.g. `AWS::DynamoDB::Table`.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Properties::$variant(_) => $type_name,)*
                }
            }

            /// The attributes `Fn::GetAtt` may read from this type.
            pub fn attributes(&self) -> &'static [&'static str] {
                match self {
                    $(Properties::$variant(_) => &[$($attr),*],)*
                }
            }
        }

        impl Serialize for Properties {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Properties::$variant(properties) => properties.serialize(serializer),)*
                }
            }
        }

        $(
            impl From<$variant> for Properties {
                fn from(properties: $variant) -> Self {
                    Properties::$variant(properties)
                }
            }
        )*
    };
}

resource_types! {
    Certificate = "AWS::CertificateManager::Certificate" ["Id"];
    OriginAccessControl = "AWS::CloudFront::OriginAccessControl" ["Id"];
    Distribution = "AWS::CloudFront::Distribution" ["DomainName", "Id"];
    Project = "AWS::CodeBuild::Project" ["Arn"];
    Pipeline = "AWS::CodePipeline::Pipeline" ["Version"];
    UserPool = "AWS::Cognito::UserPool" ["Arn", "ProviderName", "ProviderURL", "UserPoolId"];
    UserPoolClient = "AWS::Cognito::UserPoolClient" ["ClientId", "ClientSecret", "Name"];
    UserPoolDomain = "AWS::Cognito::UserPoolDomain" ["CloudFrontDistribution"];
    UserPoolGroup = "AWS::Cognito::UserPoolGroup" [];
    UserPoolUser = "AWS::Cognito::UserPoolUser" [];
    UserPoolUserToGroupAttachment = "AWS::Cognito::UserPoolUserToGroupAttachment" [];
    Table = "AWS::DynamoDB::Table" ["Arn", "StreamArn"];
    Repository = "AWS::ECR::Repository" ["Arn", "RepositoryUri"];
    Addon = "AWS::EKS::Addon" ["Arn"];
    PodIdentityAssociation = "AWS::EKS::PodIdentityAssociation" ["AssociationArn", "AssociationId"];
    Rule = "AWS::Events::Rule" ["Arn"];
    ManagedPolicy = "AWS::IAM::ManagedPolicy" ["PolicyArn"];
    Key = "AWS::KMS::Key" ["Arn", "KeyId"];
    Alias = "AWS::KMS::Alias" [];
    Role = "AWS::IAM::Role" ["Arn", "RoleId"];
    LogGroup = "AWS::Logs::LogGroup" ["Arn"];
    RecordSet = "AWS::Route53::RecordSet" [];
    Bucket = "AWS::S3::Bucket" ["Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL"];
    BucketPolicy = "AWS::S3::BucketPolicy" [];
    Topic = "AWS::SNS::Topic" ["TopicArn", "TopicName"];
    Queue = "AWS::SQS::Queue" ["Arn", "QueueName", "QueueUrl"];
    WebAcl = "AWS::WAFv2::WebACL" ["Arn", "Capacity", "Id", "LabelNamespace"];
}
