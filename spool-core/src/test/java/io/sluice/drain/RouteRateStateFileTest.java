package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each route's learned rate outlives a restart, through a real file; a damaged file costs the learning, nothing else. */
class RouteRateStateFileTest
{
    @TempDir
    Path dir;

    private SimulatedDrain drain(final Path file, final String routes)
    {
        return new SimulatedDrain(new DrainContext().routes(routes).rateLearning(new RateLearningSettings().stateFile(file)));
    }

    @Test
    void shouldStartARestartedDrainAtTheRateItLearned()
    {
        final Path file = dir.resolve(RateLearningSettings.STATE_FILE_NAME);
        final SimulatedDrain before = drain(file, "default:200:20,notifications:20:5");
        before.scheduler.onRouteThrottled("default");
        final double learned = before.scheduler.effectiveRatePerSec("default");
        assertThat(learned).isLessThan(200);
        before.scheduler.saveLearnedRates();

        final SimulatedDrain after = drain(file, "default:200:20,notifications:20:5");

        assertThat(after.scheduler.effectiveRatePerSec("default")).isCloseTo(learned, within(1e-9));
        assertThat(after.scheduler.learnedCeilingPerSec("default"))
            .isCloseTo(before.scheduler.learnedCeilingPerSec("default"), within(1e-9));
        assertThat(after.scheduler.effectiveRatePerSec("notifications")).isEqualTo(20);
        assertThat(after.scheduler.status().route("default").etaMillis()).isZero();
    }

    @Test
    void shouldForgetWhatWasLearnedWhenTheOperatorChangedTheConfiguredRate()
    {
        final Path file = dir.resolve("rates");
        final SimulatedDrain before = drain(file, "default:200:20,notifications:20:5");
        before.scheduler.onRouteThrottled("default");
        before.scheduler.saveLearnedRates();

        final SimulatedDrain after = drain(file, "default:150:20,notifications:20:5");

        assertThat(after.scheduler.effectiveRatePerSec("default")).isEqualTo(150);
        assertThat(after.scheduler.learnedCeilingPerSec("default")).isZero();
    }

    @Test
    void shouldSetADamagedFileAsideAndStartAtTheConfiguredRates() throws IOException
    {
        final Path file = dir.resolve("rates");
        final SimulatedDrain before = drain(file, "default:200:20,notifications:20:5");
        before.scheduler.onRouteThrottled("default");
        before.scheduler.saveLearnedRates();
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(file, bytes);

        final SimulatedDrain after = drain(file, "default:200:20,notifications:20:5");

        assertThat(after.scheduler.effectiveRatePerSec("default")).isEqualTo(200);
        assertThat(file.resolveSibling("rates.corrupt")).exists();
        assertThat(file).doesNotExist();
    }
}
