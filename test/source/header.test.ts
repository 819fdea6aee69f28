import { expect } from 'chai';
import { findCountyColumn, normalizeHeader } from '../../src/source/header.js';

describe('source/header', () => {
  describe('normalizeHeader', () => {
    it('lowercases and drops whitespace, underscores, hyphens and a BOM', () => {
      expect(normalizeHeader(' County ')).to.equal('county');
      expect(normalizeHeader('Waterbody_Name')).to.equal('waterbodyname');
      expect(normalizeHeader('Waterbody - Name')).to.equal('waterbodyname');
      expect(normalizeHeader('\uFEFFCOUNTY')).to.equal('county');
      expect(normalizeHeader('\tCou nty\r\n')).to.equal('county');
    });
  });

  describe('findCountyColumn', () => {
    for (const header of [
      'County',
      ' county ',
      'COUNTY',
      '\uFEFFCounty',
      '_County_',
      'coun-ty',
      'County\t',
    ]) {
      it(`finds ${JSON.stringify(header)} and returns it unchanged`, () => {
        expect(findCountyColumn(['Waterbody Name', header, 'Latitude'])).to.equal(header);
      });
    }

    it('prefers an exact County over a look-alike', () => {
      expect(findCountyColumn(['COUNTY', 'County'])).to.equal('County');
    });

    it('returns the first look-alike when there is no exact County', () => {
      expect(findCountyColumn(['a', ' county', 'COUNTY'])).to.equal(' county');
    });

    it('does not match columns that only contain the word', () => {
      expect(findCountyColumn(['County_Name', 'Counties', 'Country', 'county id'])).to.equal(undefined);
      expect(findCountyColumn([])).to.equal(undefined);
    });
  });
});
