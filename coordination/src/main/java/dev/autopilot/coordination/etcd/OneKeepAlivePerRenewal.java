package dev.autopilot.coordination.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.MethodDescriptor;

/**
 * Sends one keep-alive per renewal. jetcd's {@code keepAliveOnce} opens a LeaseKeepAlive stream, writes the request,
 * and on the answer closes the stream with {@code end(request)}, which writes the same request a second time: etcd
 * renewed every lease twice (on a follower, each one also forwarded to the leader), and lease renewals are most of what
 * an agent asks of the store (the scale bench: 5.3 of 7.5 requests per member and second). This coordinator renews
 * only through {@code keepAliveOnce} (registrations and locks: one renewal per call, with a known send time), never
 * through jetcd's long-lived keep-alive stream, so every message after a call's first is that duplicate and is dropped.
 */
final class OneKeepAlivePerRenewal implements ClientInterceptor {

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        ClientCall<Q, R> call = next.newCall(method, options);
        if (!method.getFullMethodName().equals(LeaseGrpc.getLeaseKeepAliveMethod().getFullMethodName())) {
            return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            private boolean sent;

            @Override
            public void sendMessage(Q message) {
                if (sent) {
                    return;
                }
                sent = true;
                super.sendMessage(message);
            }
        };
    }
}
