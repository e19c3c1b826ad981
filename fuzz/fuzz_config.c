/*
 * libFuzzer target for the configuration loader: the file administrators
 * edit by hand, and the one the daemon reparses on every reload. Each
 * input is parsed (twice, for determinism) and the fuzzer stops on any
 * crash, sanitizer report, hang, or broken promise:
 *   - a parse returns a configuration or diagnostics, never both, never neither;
 *   - every diagnostic has a message, names the file, and points inside the input;
 *   - a configuration that loaded is complete: endpoints, drivers, defaults,
 *     limits on the right side of their clear_at, beds that exist;
 *   - the same input gives the same diagnostics.
 */
#include "fuzz_check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_yaml.h"
#include "vitals/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_config(const struct vt_config *cfg)
{
	fuzz_check(cfg->path != NULL && strcmp(cfg->path, "fuzz.yaml") == 0);
	fuzz_check(cfg->n_publish >= 1 && cfg->n_publish <= VT_CONFIG_MAX_ENDPOINTS);
	for (size_t i = 0; i < cfg->n_publish; i++)
		fuzz_check(cfg->publish[i] != NULL && cfg->publish[i][0] != '\0');
	fuzz_check(cfg->n_control <= VT_CONFIG_MAX_ENDPOINTS);
	for (size_t i = 0; i < cfg->n_control; i++)
		fuzz_check(cfg->control[i] != NULL);
	fuzz_check(cfg->heartbeat_ms > 0);
	fuzz_check(cfg->record_dir == NULL || cfg->record_dir[0] == '/');
	fuzz_check(cfg->n_monitors <= VT_CONFIG_MAX_MONITORS);
	for (size_t i = 0; i < cfg->n_monitors; i++) {
		const struct vt_monitor_config *m = &cfg->monitors[i];
		fuzz_check(m->bed != NULL && m->port != NULL && m->driver != NULL);
		fuzz_check(strlen(m->bed) <= VT_CONFIG_NAME_MAX);
		fuzz_check(m->baud > 0 && m->stale_after_ms > 0 && m->line > 0);
		fuzz_check(vt_config_bed_index(cfg, m->bed) == (int)i);
	}
	fuzz_check(cfg->n_rules <= VT_CONFIG_MAX_RULES);
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct vt_rule_config *r = &cfg->rules[i];
		fuzz_check(r->name != NULL && strlen(r->name) <= VT_CONFIG_NAME_MAX);
		fuzz_check((unsigned)r->param < VT_PARAM_COUNT);
		fuzz_check(r->direction == -1 || r->direction == 1);
		fuzz_check(r->for_ms >= 0 && r->escalate_after_ms >= 0);
		fuzz_check(r->priority >= VT_PRIO_LOW && r->priority <= VT_PRIO_HIGH);
		fuzz_check(r->phases < (1u << VT_PHASE_COUNT));
		switch (r->kind) {
		case VT_RULE_LIMIT:
			fuzz_check(r->direction < 0 ? r->clear_at >= r->limit : r->clear_at <= r->limit);
			break;
		case VT_RULE_BASELINE:
			fuzz_check(r->delta > 0);
			break;
		case VT_RULE_RATE:
			fuzz_check(r->delta > 0 && r->within_ms > 0 && !r->delta_percent);
			break;
		default:
			fuzz_check(0);
		}
		for (size_t b = 0; b < r->n_beds; b++) {
			fuzz_check(vt_config_bed_index(cfg, r->beds[b]) >= 0);
			fuzz_check(vt_rule_applies_to(r, r->beds[b]));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_diag d1 = {0}, d2 = {0};
	struct vt_config *cfg = vt_config_parse("fuzz.yaml", (const char *)data, size, &d1);
	fuzz_check((cfg == NULL) != (d1.count == 0));
	fuzz_yaml_check_diag(&d1, "fuzz.yaml", data, size);
	if (cfg != NULL)
		s_check_config(cfg);
	struct vt_config *again = vt_config_parse("fuzz.yaml", (const char *)data, size, &d2);
	fuzz_check((again == NULL) == (cfg == NULL));
	fuzz_yaml_same_diag(&d1, &d2);
	vt_config_free(&again);
	vt_config_free(&cfg);
	vt_diag_clear(&d1);
	vt_diag_clear(&d2);
	return 0;
}
