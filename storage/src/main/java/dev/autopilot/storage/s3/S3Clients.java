package dev.autopilot.storage.s3;

import dev.autopilot.storage.StoreSettings;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/** Builds the SDK client for {@link StoreSettings.S3}. */
final class S3Clients {

    private S3Clients() {
    }

    static S3Client create(StoreSettings.S3 settings) {
        AwsCredentialsProvider credentials = switch (settings.credentials()) {
            case StoreSettings.Credentials.DefaultChain() -> DefaultCredentialsProvider.builder().build();
            case StoreSettings.Credentials.AccessKey(String id, var secret) ->
                    StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret.value()));
        };
        S3ClientBuilder builder = S3Client.builder()
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(Apache5HttpClient.builder()
                        .connectionTimeout(settings.connectTimeout())
                        .socketTimeout(settings.readTimeout())
                        .maxConnections(settings.uploadConcurrency() + LIST_CONNECTIONS))
                // Our own SHA-256 covers integrity end to end; the SDK's default CRC trailers are not understood
                // by every S3-compatible store (s3proxy, older MinIO/Ceph).
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // STANDARD: 3 attempts with jittered backoff, so an outage is reported within seconds.
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD));
        if (settings.region() != null) {
            builder.region(Region.of(settings.region()));
        }
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return builder.build();
    }

    private static final int LIST_CONNECTIONS = 8;
}
