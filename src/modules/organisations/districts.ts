/** Xiamen's six districts (市辖区) with their administrative division codes (行政区划代码). */
export const DISTRICTS: readonly { adcode: string; name: string; nameEn: string }[] = [
  { adcode: '350203', name: '思明区', nameEn: 'Siming' },
  { adcode: '350205', name: '海沧区', nameEn: 'Haicang' },
  { adcode: '350206', name: '湖里区', nameEn: 'Huli' },
  { adcode: '350211', name: '集美区', nameEn: 'Jimei' },
  { adcode: '350212', name: '同安区', nameEn: "Tong'an" },
  { adcode: '350213', name: '翔安区', nameEn: "Xiang'an" },
];
