import { describe, expect, it } from 'vitest';
import { changeoverPlan, issuerKeyId, issuerKeyLabel, switchRefusal } from './key-changeover';

const DAY = 86_400_000;
const now = new Date('2026-11-26T00:00:00Z'); // policy: 200-day subscriber certificates (BR 6.3.2, until 2027-03-15)

describe('CA key changeover (CP 5.6)', () => {
  it('keeps the first key’s id and label, and numbers the next ones', () => {
    expect([issuerKeyId('dv', 1), issuerKeyId('dv', 2), issuerKeyLabel('dv-g4', 1), issuerKeyLabel('dv-g4', 3)]).toEqual(['dv', 'dv-k2', 'dv-g4', 'dv-g4-k3']);
  });

  it.each<[string, number, boolean]>([
    ['ten years left: not due', 3650, false],
    ['300 days left, lead 60: not due (switch by day 100, start at day 40)', 300, false],
    ['250 days left, lead 60: due (the latest switch is in 50 days)', 250, true],
    ['190 days left: overdue — already shorter than a 200-day certificate', 190, true],
  ])('%s', (_rule, daysLeft, due) => {
    const plan = changeoverPlan(new Date(now.getTime() + daysLeft * DAY), now, 60);
    expect(plan.due).toBe(due);
    expect(plan.maxValidityDays).toBe(200);
    expect((plan.mustSwitchBy.getTime() - now.getTime()) / DAY).toBe(daysLeft - 200);
  });

  it('refuses a switch after the latest switch, or onto a certificate that cannot carry a maximum-validity certificate', () => {
    const mustSwitchBy = new Date(now.getTime() + 50 * DAY);
    const good = { switchAt: now, mustSwitchBy, newCaNotBefore: new Date(now.getTime() - DAY), newCaNotAfter: new Date(now.getTime() + 3650 * DAY) };
    expect(switchRefusal(good)).toBeNull();
    expect(switchRefusal({ ...good, switchAt: new Date(now.getTime() + 51 * DAY) })).toMatch(/later than/);
    expect(switchRefusal({ ...good, newCaNotAfter: new Date(now.getTime() + 100 * DAY) })).toMatch(/would not cover a 200-day/);
    expect(switchRefusal({ ...good, newCaNotBefore: new Date(now.getTime() + DAY) })).toMatch(/not valid before/);
  });
});
