package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What {@link SmtpReply#parse} takes for an RFC 3463 enhanced code (class 2, 4 or 5 matching the reply's, then one to
 * three digits twice) and what it leaves in the text: the rows the hand-written check (issue 21: no split, no stream per
 * reply line) must answer as the split-based one did.
 */
class SmtpReplyParseTest
{
    @ParameterizedTest(name = "{0}: enhanced [{1}], text [{2}]")
    @CsvSource(delimiter = '|', value = {
        "250 2.0.0 Ok: queued as 1A2B             | 2.0.0   | Ok: queued as 1A2B",
        "451 4.7.500 Server busy                  | 4.7.500 | Server busy",
        "550 5.1.1                                | 5.1.1   | ''",
        "550-5.7.1 Spam                           | 5.7.1   | Spam",
        "250 Ok                                   | ''      | Ok",
        "250 2.0 Ok                               | ''      | 2.0 Ok",
        "250 2.0.0.1 Ok                           | ''      | 2.0.0.1 Ok",
        "250 2..0 Ok                              | ''      | 2..0 Ok",
        "250 2.0. Ok                              | ''      | 2.0. Ok",
        "250 2.0.1234 Ok                          | ''      | 2.0.1234 Ok",
        "250 2.1234.0 Ok                          | ''      | 2.1234.0 Ok",
        "250 22.0.0 Ok                            | ''      | 22.0.0 Ok",
        "250 3.0.0 Ok                             | ''      | 3.0.0 Ok",
        "250 5.0.0 Ok                             | ''      | 5.0.0 Ok",
        "250 2.a.0 Ok                             | ''      | 2.a.0 Ok",
        "421                                      | ''      | ''"})
    void shouldTakeOnlyAWellFormedEnhancedCodeOfTheReplysClass(final String line, final String enhanced, final String text)
    {
        final SmtpReply reply = SmtpReply.parse(line);
        assertThat(reply.enhancedCode()).isEqualTo(enhanced);
        assertThat(reply.text()).isEqualTo(text);
    }
}
