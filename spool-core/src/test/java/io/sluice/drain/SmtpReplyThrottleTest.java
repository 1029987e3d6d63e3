package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which replies ask us to slow down: the one predicate the drain and delivery share. The rows are the replies where
 * the place a {@code 421} arrives decides (a greeting or a session under way, against the first reply on a pooled
 * connection), and the codes RFC 3463 gives congestion and policy, which are throttles wherever they come. Delivery
 * used its own {@code 4.7.} check for the pooled case until 2026-12, which took {@code 421 4.4.5} (congestion) for an
 * idle connection's end while the drain took it for a throttle.
 */
class SmtpReplyThrottleTest
{
    @ParameterizedTest(name = "{0}: throttle {1}, as the first reply on a reused connection {2}")
    @CsvSource(delimiter = '|', value = {
        "421 4.7.0 Try again later, closing connection              | true  | true",
        "421 4.7.28 unusual rate of unsolicited mail                | true  | true",
        "421 4.4.5 System congestion, try again later               | true  | true",
        "421 4.4.2 example.net Error: timeout exceeded              | true  | false",
        "421 4.3.2 Service shutting down                            | true  | false",
        "421 example.net closing connection                         | true  | false",
        "450 4.7.1 Rate limit exceeded, try again later             | true  | true",
        "451 4.7.500 Server busy, please try again later            | true  | true",
        "451 4.4.5 Too much load                                    | true  | true",
        "451 4.3.0 Local error in processing                        | false | false",
        "452 4.2.2 Mailbox full                                     | false | false",
        "450 4.2.1 Receiving mail at a rate that prevents delivery  | false | false",
        "550 5.7.1 Spam                                             | false | false"})
    void shouldThrottleByTheEnhancedCodeAndByA421ExceptOnAReusedConnection(final String reply, final boolean throttle,
        final boolean onReused)
    {
        assertThat(SmtpReply.parse(reply).isThrottling()).isEqualTo(throttle);
        assertThat(SmtpReply.parse(reply).isThrottling(false)).isEqualTo(throttle);
        assertThat(SmtpReply.parse(reply).isThrottling(true)).isEqualTo(onReused);
    }
}
