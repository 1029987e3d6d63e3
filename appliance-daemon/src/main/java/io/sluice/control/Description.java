package io.sluice.control;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The text JConsole shows for an MXBean, attribute, operation or parameter (and a parameter's name). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.PARAMETER})
public @interface Description
{
    String value();

    /** A parameter's name, shown instead of {@code p0}, {@code p1}. */
    String name() default "";
}
