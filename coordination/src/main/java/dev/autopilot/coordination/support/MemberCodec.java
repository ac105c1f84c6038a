package dev.autopilot.coordination.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.Member;
import java.io.IOException;
import java.util.Optional;

/** JSON form of a {@link Member} as stored in etcd (and in watch events). */
public final class MemberCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MemberCodec() {
    }

    /** Member as JSON bytes. */
    public static byte[] encode(Member m) {
        try {
            return JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode member " + m.name(), e);
        }
    }

    /** Member from JSON bytes, or empty if they are not a member record (written by something else). */
    public static Optional<Member> decode(byte[] json) {
        try {
            return Optional.of(JSON.readValue(json, Member.class));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
