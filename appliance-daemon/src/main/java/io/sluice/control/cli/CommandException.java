package io.sluice.control.cli;

/** A failure that ends the command with a message on stderr and one of {@link SluiceCommand}'s exit codes. */
final class CommandException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CommandException(final int exitCode, final String message)
    {
        super(message);
        this.exitCode = exitCode;
    }

    static CommandException usage(final String message)
    {
        return new CommandException(SluiceCommand.EXIT_USAGE, message);
    }

    static CommandException refused(final String message)
    {
        return new CommandException(SluiceCommand.EXIT_REFUSED, message);
    }

    static CommandException unreachable(final String message)
    {
        return new CommandException(SluiceCommand.EXIT_UNREACHABLE, message);
    }

    int exitCode()
    {
        return exitCode;
    }
}
