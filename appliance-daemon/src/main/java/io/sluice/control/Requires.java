package io.sluice.control;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The role an MXBean's setters and operations need, read by {@link ConsolePolicy}. On an interface it covers every
 * setter and operation; on a method it says otherwise for that one. Getters need {@link Role#MONITOR}; a setter or
 * operation with neither annotation needs {@link Role#ADMIN}, so a new operation is never open by oversight.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface Requires
{
    Role value();
}
