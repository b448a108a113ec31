"""The roles a token can carry."""

from enum import StrEnum


class Role(StrEnum):
    province_admin = "province_admin"  # 省商务厅
    city_bureau = "city_bureau"  # 市（州）商务主管部门
    county_bureau = "county_bureau"  # 县级商务部门
    operator = "operator"  # 项目建设运营主体 / 企业
    expert = "expert"  # 评审专家
    integrator = "integrator"  # another government system
