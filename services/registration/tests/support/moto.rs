//! What the registration tests and benchmark make in moto: the registry table and the
//! onboarding project, as the generated platform is to define them.

/// The SDK's configuration for moto at TENANCY_MOTO_URL.
pub async fn aws() -> aws_config::SdkConfig {
    tenant_context::testing::moto_config(&tenant_context::testing::moto_url()).await
}

/// The registry table (`Pk`, `Sk`) and the onboarding project, named after `prefix` and this
/// process; returns their names.
pub async fn registry_and_project(aws: &aws_config::SdkConfig, prefix: &str) -> (String, String) {
    use aws_sdk_codebuild::types::{
        ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment, ProjectSource, SourceType,
    };
    let (table, project) =
        (format!("{prefix}-registry-{}", std::process::id()), format!("{prefix}-onboarding-{}", std::process::id()));
    tenant_context::testing::create_table(&aws_sdk_dynamodb::Client::new(aws), &table, "Pk", Some("Sk")).await;
    aws_sdk_codebuild::Client::new(aws)
        .create_project()
        .name(&project)
        // moto requires a source location; the job's real source is the platform's git remote.
        .source(
            ProjectSource::builder()
                .r#type(SourceType::S3)
                .location(format!("{prefix}-source/platform.zip"))
                .build()
                .unwrap(),
        )
        .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().unwrap())
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/amazonlinux-x86_64-standard:5.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role(format!("arn:aws:iam::123456789012:role/{prefix}-onboarding"))
        .send()
        .await
        .unwrap();
    (table, project)
}
