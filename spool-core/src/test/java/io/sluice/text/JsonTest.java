package io.sluice.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest
{
    @Test
    void escapesQuotesBackslashesAndEveryControlCharacterPerRfc8259()
    {
        final String text = "a\"b\\c\nd\re\tf\u0000g\u001fh\bi\u007fé";

        assertThat(Json.compact(text)).isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0000g\\u001fh\\u0008i\u007fé\"");
        assertThat(Json.compact(Map.of("k\"ey", 1))).isEqualTo("{\"k\\\"ey\":1}");
    }

    @Test
    void writesNestedMapsAndListsCompactlyInIterationOrder()
    {
        final Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", List.of(1, 2L, true));
        inner.put("a", null);
        final Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("name", "x");
        outer.put("inner", inner);
        outer.put("rows", List.of(Map.of("n", 1.5), List.of()));
        outer.put("empty", Map.of());

        assertThat(Json.compact(outer))
            .isEqualTo("{\"name\":\"x\",\"inner\":{\"z\":[1,2,true],\"a\":null},\"rows\":[{\"n\":1.5},[]],\"empty\":{}}");
    }

    @Test
    void indentsNestedValuesAndKeepsListsOfPlainValuesOnOneLine()
    {
        final Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("plain", List.of(1, "two"));
        outer.put("numbers", new double[] {1.0, 0.25});
        outer.put("rows", List.of(Map.of("n", 2.0)));
        outer.put("empty", List.of());

        assertThat(Json.indented(outer)).isEqualTo("""
            {
              "plain": [1, "two"],
              "numbers": [1,0.250],
              "rows": [
                {
                  "n": 2
                }
              ],
              "empty": []
            }
            """);
    }

    @Test
    void writesNonFiniteNumbersAsNullBecauseJsonCannotCarryThem()
    {
        final List<Object> numbers = List.of(Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Json.fixed(Double.NaN, 3));

        assertThat(Json.compact(numbers)).isEqualTo("[null,null,null,null]");
        assertThat(Json.indented(new double[] {Double.NaN, 1.5})).isEqualTo("[null,1.500]\n");
        assertThat(Json.decimal(Double.NEGATIVE_INFINITY)).isEqualTo("null");
    }

    @Test
    void writesEachLayoutsNumberForm()
    {
        assertThat(Json.compact(List.of(1.0, 0.1, 1e-4, 7))).isEqualTo("[1.0,0.1,1.0E-4,7]");
        assertThat(Json.indented(List.of(1.0, 0.1, 2.0 / 3))).isEqualTo("[1, 0.100, 0.667]\n");
        assertThat(Json.compact(List.of(Json.fixed(12, 3), Json.fixed(2.25, 1)))).isEqualTo("[12.000,2.3]");
    }
}
