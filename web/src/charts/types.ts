export interface GroupCount {
  key: string;
  count: number;
}
