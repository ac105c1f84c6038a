package dev.autopilot.storage.s3;

import dev.autopilot.storage.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One S3 multipart upload of a stream: parts are read into a fixed pool of {@code concurrency + 1} buffers and
 * uploaded on virtual threads, at most {@code concurrency} at once. The object appears under its key only when
 * the upload is completed (atomic on S3); on any failure the upload is aborted, so nothing appears.
 */
final class MultipartUpload {

    private static final Logger log = LoggerFactory.getLogger(MultipartUpload.class);
    /** S3's limit on parts per upload. */
    static final int MAX_PARTS = 10_000;

    private final S3Client s3;
    private final String bucket;
    private final String objectKey;
    private final int partSize;
    private final int concurrency;
    private final ProgressListener progress;
    private long uploaded;

    MultipartUpload(S3Client s3, String bucket, String objectKey, int partSize, int concurrency,
                    ProgressListener progress) {
        this.s3 = s3;
        this.bucket = bucket;
        this.objectKey = objectKey;
        this.partSize = partSize;
        this.concurrency = concurrency;
        this.progress = progress;
    }

    /**
     * Uploads {@code first} (a full part) and the rest of {@code source}, hashing the rest into {@code digest};
     * runs {@code beforeComplete} once every part is stored, then completes. Returns the object's size.
     */
    long run(byte[] first, InputStream source, MessageDigest digest, Runnable beforeComplete) throws IOException {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(objectKey)
                .contentType("application/octet-stream")).uploadId();
        List<Future<CompletedPart>> parts = new ArrayList<>();
        ExecutorService uploads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("s3-upload-part-", 1).factory());
        try {
            BlockingQueue<byte[]> free = new LinkedBlockingQueue<>();
            int allocated = 1;
            byte[] buffer = first;
            int length = first.length;
            long total = 0;
            while (length > 0) {
                failFast(parts);
                if (parts.size() == MAX_PARTS) {
                    throw new IOException("object " + objectKey + " needs more than " + MAX_PARTS + " parts of "
                            + (partSize >> 20) + " MiB; raise storage.s3.part-size-mib");
                }
                int partNumber = parts.size() + 1;
                parts.add(uploads.submit(part(uploadId, partNumber, buffer, length, free)));
                total += length;
                if ((buffer = free.poll()) == null) {
                    if (allocated < concurrency + 1) {
                        buffer = new byte[partSize];
                        allocated++;
                    } else {
                        buffer = free.take();
                    }
                }
                length = source.readNBytes(buffer, 0, partSize);
                digest.update(buffer, 0, length);
            }
            List<CompletedPart> completed = new ArrayList<>();
            for (Future<CompletedPart> f : parts) {
                completed.add(result(f));
            }
            completed.sort(Comparator.comparing(CompletedPart::partNumber));
            beforeComplete.run();
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed)));
            log.debug("completed multipart upload of {} in {} parts, {} bytes", objectKey, completed.size(), total);
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(uploadId, uploads);
            throw new InterruptedIOException("interrupted while uploading " + objectKey);
        } catch (IOException | RuntimeException | Error e) {
            abort(uploadId, uploads);
            throw e;
        } finally {
            uploads.shutdownNow();
        }
    }

    private java.util.concurrent.Callable<CompletedPart> part(String uploadId, int number, byte[] buffer, int length,
                                                              BlockingQueue<byte[]> free) {
        return () -> {
            try {
                // A content provider (not fromBytes) so the SDK neither copies the buffer nor loses it on retry.
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId)
                                .partNumber(number).contentLength((long) length),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length,
                                "application/octet-stream")).eTag();
                synchronized (this) {
                    uploaded += length;
                    progress.stored(uploaded);
                }
                return CompletedPart.builder().partNumber(number).eTag(etag).build();
            } finally {
                free.add(buffer);
            }
        };
    }

    private static void failFast(List<Future<CompletedPart>> parts) throws InterruptedException, IOException {
        for (Future<CompletedPart> f : parts) {
            if (f.isDone()) {
                result(f);
            }
        }
    }

    private static CompletedPart result(Future<CompletedPart> f) throws InterruptedException, IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case RuntimeException r -> throw r;
                case IOException io -> throw io;
                case Error err -> throw err;
                default -> throw new IOException(e.getCause());
            }
        }
    }

    private void abort(String uploadId, ExecutorService uploads) {
        // Let the part requests in flight finish before aborting, without interrupting them: an interrupted request
        // leaves the store writing that part after the abort, which brought the upload back (s3proxy listed it open
        // after a successful abort; CI), and a part racing the abort makes s3proxy refuse it (400). Bounded, then cut.
        uploads.shutdown();
        try {
            if (!uploads.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                uploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            uploads.shutdownNow();
            Thread.currentThread().interrupt();
        }
        SdkException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
                return;
            } catch (SdkException e) {
                if (attempt > 1 && e instanceof software.amazon.awssdk.services.s3.model.S3Exception s3e && s3e.statusCode() == 404) {
                    return; // an earlier attempt removed it though its answer was an error
                }
                last = e;
                if (S3Failures.unreachable(e)) {
                    break;
                }
                try {
                    Thread.sleep(200L * attempt); // backoff between attempts, not a stand-in for a condition
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        log.warn("could not abort the failed multipart upload {} of {} ({}); it stays invisible, and a bucket"
                + " lifecycle rule AbortIncompleteMultipartUpload removes its parts", uploadId, objectKey,
                S3Failures.unreachable(last) ? "store unreachable" : last.getMessage());
    }
}
