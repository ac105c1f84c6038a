package dev.autopilot.storage.s3;

import dev.autopilot.storage.StoreUnavailableException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;

/**
 * The one place where SDK exceptions become the store's error contract: cannot reach the store (client-side I/O
 * failures, timeouts, 5xx, throttling after the SDK's retries) is {@link StoreUnavailableException}; a refusal
 * (no such bucket, access denied, bad request) is an {@link IOException} naming the setting to check.
 */
final class S3Failures {

    private final String location;

    S3Failures(String location) {
        this.location = location;
    }

    /** Throws {@link StoreUnavailableException} if {@code e} means unreachable, otherwise returns the refusal. */
    IOException translate(String action, SdkException e) {
        if (unreachable(e)) {
            throw new StoreUnavailableException("object store " + location + " is unreachable (" + action + "): "
                    + e.getMessage() + "; the caller should retry later", e);
        }
        if (e instanceof S3Exception s3 && s3.awsErrorDetails() != null) {
            String code = s3.awsErrorDetails().errorCode();
            String hint = switch (code == null ? "" : code) {
                case "NoSuchBucket" -> "the bucket does not exist: create it or fix storage.s3.bucket";
                case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch" ->
                        "check storage.s3.credentials and the bucket policy";
                default -> "see the store's error";
            };
            return new IOException("object store " + location + " refused " + action + ": " + code + " (HTTP "
                    + s3.statusCode() + "): " + hint, e);
        }
        return new IOException("object store " + location + " failed " + action + ": " + e.getMessage(), e);
    }

    static boolean unreachable(SdkException e) {
        if (e instanceof SdkClientException) {
            return true;
        }
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            return status >= 500 || status == 429 || status == 408;
        }
        return false;
    }
}
