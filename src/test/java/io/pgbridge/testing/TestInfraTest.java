package io.pgbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TestInfraTest {

    @Test
    void pointsJdbcUrlAtAnotherDatabaseKeepingHostAndParameters() {
        assertThat(TestInfra.jdbcUrlFor("jdbc:postgresql://localhost:5432/postgres", "it_one"))
                .isEqualTo("jdbc:postgresql://localhost:5432/it_one");
        assertThat(TestInfra.jdbcUrlFor("jdbc:postgresql://db.example:6543/app?sslmode=disable&user=x", "it_two"))
                .isEqualTo("jdbc:postgresql://db.example:6543/it_two?sslmode=disable&user=x");
        assertThat(TestInfra.jdbcUrlFor("jdbc:postgresql://localhost?loggerLevel=OFF", "it_three"))
                .isEqualTo("jdbc:postgresql://localhost/it_three?loggerLevel=OFF");
    }

    @Test
    void rejectsJdbcUrlWithoutHost() {
        assertThatThrownBy(() -> TestInfra.jdbcUrlFor("jdbc:postgresql:postgres", "it"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsDatabaseNamesThatWouldNeedEscaping() {
        assertThatThrownBy(() -> TestInfra.createDatabase("x\"; drop database postgres; --"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hidesPasswordWhenPrinted() {
        TestInfra.Postgres postgres = new TestInfra.Postgres("jdbc:postgresql://h/db?password=s3cret", "u", "s3cret");
        assertThat(postgres.toString()).doesNotContain("s3cret").contains("jdbc:postgresql://h/db");
    }
}
