import { sql } from 'kysely';
import type { Store } from '../../store/store.ts';

/** SQL for organisations, districts and connected systems. */
export class OrganisationRepository {
  constructor(private readonly store: Store) {}

  listOrganisations() {
    const { db } = this.store;
    return db
      .selectFrom('organisations as o')
      .select(['o.code', 'o.name', 'o.name_en', 'o.kind', 'o.adcode'])
      .select((eb) => [
        eb.selectFrom('systems as s').whereRef('s.org_code', '=', 'o.code').select(eb.fn.countAll<number>().as('n')).as('systems'),
        eb.selectFrom('datasets as d').whereRef('d.org_code', '=', 'o.code').select(eb.fn.countAll<number>().as('n')).as('datasets'),
        eb.selectFrom('datasets as d').whereRef('d.org_code', '=', 'o.code').select(sql<number>`coalesce(sum(d.valid_records), 0)`.as('n')).as('valid_records'),
      ])
      .orderBy('o.kind')
      .orderBy('o.code')
      .execute();
  }

  getOrganisation(code: string) {
    return this.store.db.selectFrom('organisations').selectAll().where('code', '=', code).executeTakeFirst();
  }

  listSystems(orgCode: string | null) {
    const { db } = this.store;
    let q = db
      .selectFrom('systems as s')
      .innerJoin('organisations as o', 'o.code', 's.org_code')
      .select(['s.code', 's.name', 's.name_en', 's.org_code', 'o.name as org_name', 's.cycle', 's.last_push_at'])
      .select((eb) => [
        eb.selectFrom('datasets as d').whereRef('d.system_code', '=', 's.code').select(eb.fn.countAll<number>().as('n')).as('datasets'),
        eb.selectFrom('datasets as d').whereRef('d.system_code', '=', 's.code').select(sql<number>`coalesce(sum(d.valid_records), 0)`.as('n')).as('valid_records'),
      ])
      .orderBy('s.org_code')
      .orderBy('s.code');
    if (orgCode) q = q.where('s.org_code', '=', orgCode);
    return q.execute();
  }

  getSystem(code: string) {
    return this.store.db.selectFrom('systems').selectAll().where('code', '=', code).executeTakeFirst();
  }

  async insertOrganisation(o: { code: string; name: string; nameEn: string; kind: 'department' | 'district' | 'enterprise' | 'person'; adcode: string | null }) {
    await this.store.db
      .insertInto('organisations')
      .values({ code: o.code, name: o.name, name_en: o.nameEn, kind: o.kind, adcode: o.adcode, created_at: new Date().toISOString() })
      .execute();
  }

  async insertSystem(s: { code: string; orgCode: string; name: string; nameEn: string; cycle: string }) {
    await this.store.db
      .insertInto('systems')
      .values({ code: s.code, org_code: s.orgCode, name: s.name, name_en: s.nameEn, cycle: s.cycle, last_push_at: null, created_at: new Date().toISOString() })
      .execute();
  }

  async deleteOrganisation(code: string) {
    await this.store.db.deleteFrom('organisations').where('code', '=', code).execute();
  }

  async touchSystem(code: string, at: string) {
    await this.store.db.updateTable('systems').set({ last_push_at: at }).where('code', '=', code).execute();
  }
}
