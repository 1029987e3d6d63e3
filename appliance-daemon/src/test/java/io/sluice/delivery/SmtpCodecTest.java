package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.sluice.drain.SmtpReply;
import org.junit.jupiter.api.Test;

/** The client's own codec pieces: reply decoding (where Netty's decoder falls short) and dot-stuffing. */
class SmtpCodecTest
{
    private static UpstreamReply decode(final String wire)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new SmtpReplyDecoder());
        channel.writeInbound(Unpooled.copiedBuffer(wire, StandardCharsets.UTF_8));
        final UpstreamReply reply = channel.readInbound();
        channel.finishAndReleaseAll();
        return reply;
    }

    @Test
    void shouldDecodeARepliesLinesIncludingABareCode()
    {
        assertThat(decode("250\r\n")).isEqualTo(new UpstreamReply(250, List.of("")));
        assertThat(decode("250-sink.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"))
            .isEqualTo(new UpstreamReply(250, List.of("sink.test", "PIPELINING", "SIZE 1000")));
        assertThat(decode("550-5.7.1 Your message looks like spam.\r\n550 5.7.1 See https://postmaster.example\r\n")
            .toDrainReply())
            .isEqualTo(SmtpReply.of(550, "5.7.1", "Your message looks like spam. See https://postmaster.example"));
        assertThat(decode("421 4.7.0 slow down\n").toDrainReply().isThrottling()).as("a bare LF is tolerated").isTrue();
        assertThat(decode("250-first")).as("incomplete: nothing yet").isNull();
    }

    @Test
    void shouldRefuseWhatIsNotAReply()
    {
        for (final String bad : new String[] {"hello\r\n", "25\r\n", "250x\r\n", "650 what\r\n", "250-a\r\n251 b\r\n"})
        {
            final EmbeddedChannel channel = new EmbeddedChannel(new SmtpReplyDecoder());
            assertThatThrownBy(() -> channel.writeInbound(Unpooled.copiedBuffer(bad, StandardCharsets.UTF_8)))
                .as(bad).isInstanceOf(DecoderException.class);
            channel.finishAndReleaseAll();
        }
    }

    private static String prepared(final String content)
    {
        final OutboundMessage message = OutboundMessage.prepare(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        try
        {
            return message.data().toString(StandardCharsets.UTF_8);
        }
        finally
        {
            message.data().release();
        }
    }

    @Test
    void shouldDotStuffAndTerminateTheContent()
    {
        assertThat(prepared("a\r\n.b\r\n.\r\n..\r\nc.d\r\n")).isEqualTo("a\r\n..b\r\n..\r\n...\r\nc.d\r\n");
        assertThat(prepared(".first")).isEqualTo("..first\r\n");
        assertThat(prepared("unix\nlines\n.dot\n")).as("bare LF sent as CRLF").isEqualTo("unix\r\nlines\r\n..dot\r\n");
        assertThat(prepared("old\rmac")).isEqualTo("old\r\nmac\r\n");
        assertThat(prepared("")).isEmpty();
        final OutboundMessage plain = OutboundMessage.prepare(ByteBuffer.wrap("a\r\nb\r\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(plain.size()).isEqualTo(6);
        assertThat(plain.eightBit()).isFalse();
        plain.data().release();
        final OutboundMessage stuffed = OutboundMessage.prepare(ByteBuffer.wrap(".é\r\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(stuffed.size()).as("SIZE counts the message, not the stuffing dot").isEqualTo(5);
        assertThat(stuffed.eightBit()).isTrue();
        stuffed.data().release();
    }
}
